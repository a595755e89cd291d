"""An OpenAI-compatible embeddings service for sentence-transformers/all-MiniLM-L6-v2."""
