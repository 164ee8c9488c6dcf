"""The driver-level reads and writes of the LRS's hot path (store/bulk.py ``insert_rows`` and
``fetch``, store/xapi.py ``advance_last_activity`` and the look-ups of ingest), on SQLite
(executemany, lists through ``json_each``) and PostgreSQL (``COPY``, arrays): rows read back as
SQLAlchemy wrote them, look-ups find what SQLAlchemy's own queries find, errors come back as
SQLAlchemy's, and last activity only ever moves forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, insert, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from gardien.store import xapi as store
from gardien.store.bulk import Bulk
from gardien.store.engine import make_engine
from gardien.store.tables import activity_statement, learner, statement_agent
from gardien.store.uow import UnitOfWork

AT = datetime(2026, 3, 2, 9, 30, 0, 123456, tzinfo=UTC)
# Escapes of every kind COPY's text format must carry through: quotes, a backslash, a tab and a
# line break written as JSON escapes, and characters beyond ASCII.
NOTE = 'Léa a dit "bonjour"\\ puis\t\n✓'
RAW = '{"id": "%s", "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "n": null,'
RAW += ' "note": "L\u00e9a a dit \\"bonjour\\"\\\\ puis\\t\\n\u2713"}'


def _row(number: int, *, learner_id: int | None = None) -> store.StatementRow:
    statement_id = f"00000000-0000-4000-8000-{number:012d}"
    return store.StatementRow(
        statement_id=statement_id,
        learner_id=learner_id,
        actor_name=f"pseudonyme-{number}",
        verb="http://adlnet.gov/expapi/verbs/experienced",
        object_id="https://learning.example.org/lecons/1",
        result_success=number % 2 == 0,
        result_completion=None,
        result_score_scaled=0.25 if number % 3 == 0 else None,
        timestamp=AT + timedelta(seconds=number),
        stored_at=AT,
        raw=RAW % statement_id,
        registration=None,
        voided=False,
        client_id=None,
    )


def _insert(
    connection: Connection,
    rows: list[store.StatementRow],
    agents: list[tuple[str, str, str]] | None = None,
) -> None:
    # As ingest does: rows encoded for the driver, then inserted with their agents.
    encoded = store.encoded_statements(connection.dialect.name, rows)
    store.insert_encoded(connection, encoded, agents or [])


def _learners(engine: Engine, count: int) -> list[int]:
    with engine.begin() as connection:
        connection.execute(
            insert(learner),
            [
                {
                    "pseudonym": f"00000000-0000-4000-9000-{n:012d}",
                    "email": f"personne.{n}@example.org",
                    "given_name": "Léa",
                    "family_name": "Exemple",
                    "created_at": AT,
                    "last_activity_at": AT,
                }
                for n in range(count)
            ],
        )
        found = connection.execute(select(learner.c.id).order_by(learner.c.id)).scalars()
        return [int(i) for i in found]


def test_rows_written_through_the_driver_read_back_as_sqlalchemy_wrote_them(
    engine: Engine,
) -> None:
    ids = _learners(engine, 1)
    rows = [_row(n, learner_id=ids[0] if n % 2 else None) for n in range(1, 8)]
    agents = [(rows[0].statement_id, "context.instructor", "pseudonyme-autre")]
    with UnitOfWork(engine, write=True) as uow:
        _insert(uow.connection, rows, agents)
        uow.commit()
    with engine.connect() as connection:
        stored = connection.execute(
            select(activity_statement).order_by(activity_statement.c.statement_id)
        ).all()
        named = connection.execute(select(statement_agent)).all()
    assert [r.statement_id for r in stored] == [r.statement_id for r in rows]
    for row, read in zip(rows, stored, strict=True):
        assert (read.learner_id, read.actor_name, read.result_success) == (
            row.learner_id,
            row.actor_name,
            row.result_success,
        )
        assert read.result_completion is None and read.result_score_scaled == (
            row.result_score_scaled
        )
        assert (read.timestamp, read.stored_at) == (row.timestamp, row.stored_at)
        assert read.raw == {
            "id": row.statement_id,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "n": None,
            "note": NOTE,
        }
        assert read.voided is False
    assert [(r.statement_id, r.place, r.name) for r in named] == agents


def test_a_duplicate_is_sqlalchemys_integrity_error_and_nothing_of_the_batch_stays(
    engine: Engine,
) -> None:
    with UnitOfWork(engine, write=True) as uow:
        _insert(uow.connection, [_row(1)])
        uow.commit()
    with pytest.raises(IntegrityError), UnitOfWork(engine, write=True) as uow:
        Bulk(uow.connection).insert_rows(
            activity_statement,
            store.STATEMENT_COLUMNS,
            [tuple(_row(n)) for n in (2, 1)],  # the second repeats a stored id
        )
    with engine.connect() as connection:
        kept = connection.execute(select(activity_statement.c.statement_id)).scalars().all()
    assert kept == [_row(1).statement_id]


def test_last_activity_moves_forward_only(engine: Engine) -> None:
    ids = _learners(engine, 3)
    later, earlier = AT + timedelta(days=2), AT - timedelta(days=2)
    with UnitOfWork(engine, write=True) as uow:
        store.advance_last_activity(uow.connection, {ids[2]: later, ids[0]: earlier})
        uow.commit()
    with engine.connect() as connection:
        found = dict(connection.execute(select(learner.c.id, learner.c.last_activity_at)).all())
    assert found == {ids[0]: AT, ids[1]: AT, ids[2]: later}


def test_the_look_ups_of_ingest_find_what_sqlalchemy_finds_past_any_variable_limit(
    engine: Engine,
) -> None:
    # 1,200 values in one list: more than SQLite's historical 999 bound variables, which a
    # list passed as one parameter never meets.
    ids = _learners(engine, 1_200)
    with engine.begin() as connection:
        connection.execute(
            learner.update()
            .where(learner.c.id.in_(ids[:10]))
            .values(mbox_sha1sum=learner.c.pseudonym.concat("-sha"))
        )
    emails = [f"personne.{n}@example.org" for n in range(0, 1_200, 2)]
    sha1sums = [f"00000000-0000-4000-9000-{n:012d}-sha" for n in range(5)]
    pseudonyms = [f"00000000-0000-4000-9000-{n:012d}" for n in (1, 3, 1_199)]
    with UnitOfWork(engine, write=True) as uow:
        _insert(uow.connection, [_row(n) for n in (1, 2)])
        found = store.learners_by(
            uow.connection, emails=emails, sha1sums=sha1sums, pseudonyms=pseudonyms
        )
        expected = uow.connection.execute(
            select(
                learner.c.id,
                learner.c.pseudonym,
                learner.c.email,
                learner.c.mbox_sha1sum,
                learner.c.given_name,
                learner.c.family_name,
            ).where(
                or_(
                    learner.c.email.in_(emails),
                    learner.c.mbox_sha1sum.in_(sha1sums),
                    learner.c.pseudonym.in_(pseudonyms),
                )
            )
        ).all()
        present = store.present_learners(uow.connection, [*ids, 10**12])
        stored = store.stored_raw(uow.connection, [_row(2).statement_id, _row(3).statement_id])
        only_emails = store.learners_by(uow.connection, emails=emails[:3])
        nobody = store.learners_by(uow.connection, emails=["personne@example.com"])
    by_id = sorted(found, key=lambda x: x.id)
    assert by_id == sorted((store.Learner(*row) for row in expected), key=lambda x: x.id)
    assert len(found) == 600 + 2 + 1  # the even ones, two odd sha1sums, one odd pseudonym
    assert {learner_row.email for learner_row in only_emails} == set(emails[:3])
    assert nobody == []
    assert present == set(ids)
    # The stored JSON as it was written: quotes, a backslash, a tab, a line break, non-ASCII.
    assert stored == {
        _row(2).statement_id: {
            "id": _row(2).statement_id,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "n": None,
            "note": NOTE,
        }
    }


def test_a_failed_look_up_through_the_driver_is_sqlalchemys_error(engine: Engine) -> None:
    with pytest.raises(DBAPIError), UnitOfWork(engine) as uow:
        bulk = Bulk(uow.connection)
        bulk.fetch(
            f"SELECT no_such_column FROM learner WHERE id {bulk.one_of('bigint')}",
            [bulk.listed([1])],
        )


# SQLite has one writer at a time (store/write_gate.py): no row locks to order there.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_locks_the_learners_in_id_order(database_url: str) -> None:
    # Two batches naming the same learners must lock them in one order, or they deadlock. The
    # UPDATE's own plan may scan the table in its physical order (a hash join), so the rows are
    # first locked by a select sorted by id.
    engine = make_engine(database_url)
    try:
        ids = _learners(engine, 2_000)
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE learner")
            some = ids[::40]
            plan = "\n".join(
                str(line)
                for line in connection.exec_driver_sql(
                    f"EXPLAIN {store._ADVANCE_POSTGRES}", (some, some, [AT] * len(some))
                ).scalars()
            )
    finally:
        engine.dispose()
    locked = plan[plan.index("CTE locked") : plan.index("CTE Scan on locked")]
    in_id_order = "Index Scan using pk_learner" in locked or "Sort Key: learner.id" in locked
    assert "LockRows" in locked and in_id_order, plan
