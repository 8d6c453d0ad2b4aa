"""Command line: python -m utils {run,config,inventory,doctor,i18n,catalog,instructor}."""

from __future__ import annotations

import sys

from .lang import N_, _

USAGE = N_("""usage: python -m utils COMMAND [options]

commands:
  run [--only 00,01,...] [--lang ja]
                           execute the notebooks headless, in order (sandbox unless configured otherwise)
  config                   print the effective configuration (environment over workshop_config.json)
  inventory                list what remains of the workshop for this participant
  doctor [--no-path]       check every link of the live workshop; prints the fix for each failure
                           (exit 0 healthy, 1 problems)
  i18n update|build|check [--lang ja]
                           keep the translated notebooks in step with the English ones (gettext catalogs in
                           locales/); check exits 1 on anything untranslated, stale or broken
  catalog check            compare the offline Amazon Bedrock facts (awsfacts/bedrock.py) with the live
                           lists of the target; prints every difference (exit 0 none, 1 differences)
  instructor ...           a room of participants: provision, status, env, handout, refresh, fast-forward,
                           cleanup, rehearse (sandbox)
                           (python -m utils instructor --help)
""")


def _config() -> int:
    from . import config

    try:
        cfg = config.load()
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"file: {config.config_path()}")
    for key, value in cfg.to_dict().items():
        print(f"{key:>10}: {value!r}")
    print(f"{'stack':>10}: {cfg.stack_name}")
    from .lang import source

    in_force, where = source()
    if in_force != cfg.lang:
        print(f"{'in force':>10}: {in_force!r} (from {where}, over the saved lang)")
    return 0


def _inventory() -> int:
    from . import config, inventory, target

    cfg = config.load()
    target.activate(cfg.target)
    rows = inventory.collect(cfg, target.client)
    from .display import pad, resource_type

    for row in rows:
        print(f"{pad(resource_type(row['type']), 28)} {pad(row['id'], 28)} {pad(row['name'], 40)} {row['state']}")
    print(_("{count} resource(s) of the workshop remain for participant {participant!r}").format(
        count=len(rows), participant=cfg.participant))
    return 0 if not rows else 3


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_(USAGE))
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "run":
        from .runner import main as run_main
        from .validation import InvalidInput

        try:
            return run_main(rest)
        except InvalidInput as exc:  # e.g. WORKSHOP_TARGET=localstack: the reason and the fix, no traceback
            print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
            return 2
    if command == "config":
        return _config()
    if command == "inventory":
        return _inventory()
    if command == "i18n":
        from .i18n import main as i18n_main

        return i18n_main(rest)
    if command == "doctor":
        from .doctor import main as doctor_main

        return doctor_main(rest)
    if command == "catalog":
        from .catalog import main as catalog_main

        return catalog_main(rest)
    if command == "instructor":
        from .instructor.cli import main as instructor_main

        return instructor_main(rest)
    print(_("unknown command {command!r}").format(command=command) + f"\n\n{_(USAGE)}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
