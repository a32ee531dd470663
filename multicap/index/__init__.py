"""SQLite + FAISS index and hybrid search."""
