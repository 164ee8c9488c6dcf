"""README.txt of the people's export: what each file holds, how long it is kept, how to open
the files, and that ``export.json`` is the complete technical version."""

from __future__ import annotations

from typing import Any

from gardien.services.export_cells import Cells
from gardien.services.export_sheets import Sheet, delimiter, localised, rule_text

__all__ = ["JSON_NAME", "README_NAME", "readme"]

JSON_NAME = "export.json"
README_NAME = "README.txt"


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; it is translated where it is written."""
    return message


def readme(envelope: dict[str, Any], sheets: list[Sheet], cells: Cells) -> str:
    """The README's text (lines ended by CRLF, so that every text editor shows them)."""
    _ = cells.gettext
    controller = envelope["controller"]
    values = {
        "controller": controller["name"],
        "date": cells.day(envelope["as_of"]),
        "email": envelope["subject"]["email"],
    }
    lines = [
        _(N_("Your data held by %(controller)s, as of %(date)s")) % values,
        "",
        _(N_("This archive holds everything we hold about the person who uses %(email)s."))
        % values,
        "",
        _(N_("THE FILES")),
        "",
    ]
    for sheet in sheets:
        lines.append(cells.labelled(sheet.name, sheet.title))
        if sheet.description:
            lines.append(f"    {sheet.description}")
        lines.append(
            "    "
            + cells.ngettext("%(num)d row", "%(num)d rows", sheet.count) % {"num": sheet.count}
        )
        for purpose in sheet.purposes:
            lines.append("    " + _(N_("Used for: %(purpose)s")) % {"purpose": purpose})
        lines.append("")
    lines += [
        cells.labelled(JSON_NAME, _(N_("the complete technical version"))),
        "    "
        + _(
            N_(
                "The same data, complete and machine-readable (JSON, UTF-8), for another service"
                " or a program: field names as in our database, dates in ISO 8601, instants in"
                " UTC, each statement of your learning activity as the platform sent it, and"
                " technical details the CSV files leave out."
            )
        ),
        "",
        _(N_("HOW LONG YOUR DATA IS KEPT")),
        "",
        _(
            N_(
                "Each row ends with three columns: until when it is kept, the rule of our"
                " privacy policy that sets that period, and what is kept longer (for instance"
                " what the law requires us to keep after an erasure). The rules:"
            )
        ),
        "",
    ]
    for rule in envelope["retention_rules"].values():
        lines.append("- " + rule_text(rule, cells, joiner=" — "))
        hold = rule.get("hold")
        if hold:
            reason = localised(hold.get("reason"), cells.lang)
            lines.append("    " + _(N_("Kept after an erasure: %(reason)s")) % {"reason": reason})
    if not envelope["retention_rules"]:
        lines.append("- " + _(N_("No record, so no retention period.")))
    separator = delimiter(cells.lang)
    lines += [
        "",
        _(N_("HOW TO OPEN THE FILES")),
        "",
        _(
            N_(
                "The CSV files are text in UTF-8 with a byte order mark, so that spreadsheets"
                " (LibreOffice, Excel, Numbers) show accents correctly. Columns are separated by"
                " “%(separator)s”: the separator your spreadsheet expects in this language, as"
                " numbers here are written with “%(decimal)s” as decimal mark. If everything"
                " shows in one column, import the file and choose “%(separator)s” as separator"
                " and UTF-8 as encoding."
            )
        )
        % {"separator": separator, "decimal": "," if separator == ";" else "."},
        "",
        _(
            N_(
                "A text that a spreadsheet could take for a formula starts with an apostrophe;"
                " %(json)s holds it exactly."
            )
        )
        % {"json": JSON_NAME},
        "",
        _(N_("QUESTIONS")),
        "",
        _(
            N_(
                "To correct, erase or object to the use of your data, use the page “My"
                " data” or write to our data protection officer, %(dpo)s (%(dpo_email)s)."
            )
        )
        % {"dpo": controller["dpo"]["name"], "dpo_email": controller["dpo"]["email"]},
        "",
    ]
    return "\r\n".join(lines)
