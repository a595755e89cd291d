"""`python -m embedding_service`: one uvicorn process on HOST:PORT (the image's command and `make serve`).

Settings that do not validate stop it with the message naming the variable (exit 2), not a traceback.
"""

import sys

import uvicorn
from pydantic import ValidationError

from embedding_service.api.app import create_app
from embedding_service.settings import Settings


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as error:
        for problem in error.errors(include_url=False):
            where = ".".join(str(part).upper() for part in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            print(f"embedding_service: {where + ': ' if where else ''}{message}", file=sys.stderr)
        sys.exit(2)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, proxy_headers=False)


if __name__ == "__main__":
    main()
