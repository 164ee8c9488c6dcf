"""``gardien demo-data``."""

from __future__ import annotations

import typer

from gardien.cli.context import AS_OF_HELP, container, emit


def demo_data_command(
    ctx: typer.Context,
    learners: int = typer.Option(60, "--learners", min=1, max=5_000_000, help="How many learners."),
    seed: int = typer.Option(1, "--seed", help="Seed of the generator: same seed, same data."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    past: bool = typer.Option(
        True,
        "--past/--no-past",
        help="Play the last three months: requests in every state, a purge, a campaign.",
    ),
) -> None:
    """Load a fictional organisation: every funding type, learners at every retention stage.

    Records are imported; learning activity goes through the LRS (POST /xapi/statements) of
    the app, served on a loopback port while the command runs, as an e-learning platform
    sends it.
    """
    from dataclasses import replace

    from gardien.cli.progress import progress_bar
    from gardien.domain.clock import FixedClock
    from gardien.services.demo.accounts import create_demo_accounts
    from gardien.services.demo.loading import load_demo
    from gardien.services.demo.past import play_past
    from gardien.services.demo_data import build_demo_document
    from gardien.settings import Environment
    from gardien.store.uow import UnitOfWork
    from gardien.web.background import serving_in_background

    app = container(ctx, as_of=as_of)
    engine = app.upgraded_engine()
    document = build_demo_document(learners=learners, seed=seed, today=app.clock.today())
    with progress_bar() as progress:
        loaded = load_demo(
            document,
            engine=engine,
            clock=app.clock,
            home_page=app.settings.public_url,
            serve=lambda: serving_in_background(app),
            progress=progress,
        )
    emit(loaded.report.summary())
    emit(
        f"statements: {loaded.statements} sent to POST /xapi/statements in {loaded.requests}"
        f" requests by the xAPI client {loaded.client.name!r}"
    )
    emit(f"withdrawn enrolments: {loaded.withdrawals} recorded after their activity")
    if past:
        # The last three months, played through the site's and the console's use cases.
        played = play_past(
            engine,
            today=app.clock.today(),
            services_on=lambda when: replace(app, clock=FixedClock(when)).accounts(),
            site_on=lambda when: replace(app, clock=FixedClock(when)).website(),
            portal_url=app.settings.public_url.rstrip("/") + "/",
        )
        emit(played.summary())
    if app.settings.environment is not Environment.DEVELOPMENT:
        # Accounts with a published password, a DPO and an admin among them: never outside a
        # developer's machine.
        emit("demonstration accounts: not created outside development")
        return
    accounts = create_demo_accounts(
        UnitOfWork(engine, write=True), hasher=app.password_hasher, clock=app.clock
    )
    emit("demonstration accounts (sign in at /account/sign-in; DPO and admin set up a TOTP")
    emit("second factor at their first sign-in):")
    for made in accounts:
        emit(f"  {made.role:<16} {made.email}  password: {made.password}")
    endpoint = app.settings.public_url.rstrip("/") + "/xapi/"
    emit(f"xAPI client {loaded.client.name!r} at {endpoint} (development only):")
    emit(f"  key {loaded.client.key}  secret {loaded.client.secret}")
