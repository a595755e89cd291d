"""`python -m embedding_service`: the container's single uvicorn process, on HOST:PORT from the settings."""

import uvicorn

from embedding_service.settings import Settings

if __name__ == "__main__":
    settings = Settings()
    uvicorn.run("embedding_service.main:app", host=settings.host, port=settings.port, proxy_headers=False)
