"""Change one section of a test home's config/settings.yaml, keeping the rest."""

import yaml

from ingestion.home import Home


def abschnitt_setzen(home: Home, name: str, section, **other) -> None:
    """Replace the section `name` (and the top-level settings `other`)."""
    path = home.config / "settings.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    data[name] = section
    data.update(other)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
