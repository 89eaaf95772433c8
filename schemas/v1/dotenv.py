"""dotenv text → (name, value) pairs and per-line errors, for the bulk import."""

from schemas.v1.configurations import MAX_VALUE_LENGTH, name_reason

NO_EQUALS = "expected NAME=value"
TOO_LONG = f"the value is longer than {MAX_VALUE_LENGTH} characters"


def parse_dotenv(text: str) -> tuple[list[tuple[str, str]], list[dict]]:
    """Entries in order (a later line wins over an earlier one of the same name) and
    errors naming the line — never the value, which may be a secret."""
    entries: dict[str, str] = {}
    errors: list[dict] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        stripped = stripped.removeprefix("export ").lstrip()
        name, equals, value = stripped.partition("=")
        name = name.strip()
        if not equals:
            # The line may be a pasted value: only its number is reported.
            errors.append({"line": number, "message": NO_EQUALS})
            continue
        if reason := name_reason(name):
            errors.append({"line": number, "name": name[:255], "message": reason})
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if len(value) > MAX_VALUE_LENGTH:
            errors.append({"line": number, "name": name, "message": TOO_LONG})
            continue
        entries.pop(name, None)
        entries[name] = value
    return list(entries.items()), errors
