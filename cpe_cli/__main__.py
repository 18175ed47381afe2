"""Entry point for the ``cpe`` script and ``python -m cpe_cli``."""


def main() -> None:
    from .cli import run

    run()


if __name__ == "__main__":
    main()
