"""Real client libraries against the live service (no network): LangChain and LlamaIndex.

The official openai client's float, base64 and models.retrieve paths are in test_main.py.
"""

from collections.abc import Iterator

import numpy as np
import pytest
from embedding_service.model import EmbeddingModel
from langchain_openai import OpenAIEmbeddings
from llama_index.embeddings.openai_like import OpenAILikeEmbedding

from .servers import API_KEY, MODEL_NAME, LiveServer, make_settings, run_live_server

TEXTS = ["LangChain and LlamaIndex speak OpenAI's API.", "So this service serves them too."]


@pytest.fixture(scope="module")
def server(embedding_model: EmbeddingModel) -> Iterator[LiveServer]:
    with run_live_server(make_settings(rate_limit=""), lambda _settings: embedding_model) as live:
        yield live


def test_langchain_openai_embeddings_with_the_documented_setting(server: LiveServer, embedding_model: EmbeddingModel):
    embeddings = OpenAIEmbeddings(
        model=MODEL_NAME,
        base_url=f"{server.base_url}/v1",
        api_key=API_KEY,  # type: ignore[arg-type]  # a str is what it takes at run time
        check_embedding_ctx_length=False,
        max_retries=0,
    )

    documents = embeddings.embed_documents(TEXTS)
    query = embeddings.embed_query(TEXTS[0])

    np.testing.assert_allclose(np.array(documents), embedding_model.encode(TEXTS), atol=1e-5)
    np.testing.assert_allclose(query, documents[0], atol=1e-6)


def test_llama_index_openai_like_embedding(server: LiveServer, embedding_model: EmbeddingModel):
    embeddings = OpenAILikeEmbedding(
        model_name=MODEL_NAME, api_base=f"{server.base_url}/v1", api_key=API_KEY, max_retries=0
    )

    batch = embeddings.get_text_embedding_batch(TEXTS)
    query = embeddings.get_query_embedding(TEXTS[1])

    np.testing.assert_allclose(np.array(batch), embedding_model.encode(TEXTS), atol=1e-5)
    np.testing.assert_allclose(query, batch[1], atol=1e-6)
