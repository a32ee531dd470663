"""What a search costs the server: the request threads run FAISS on one OpenMP thread each."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import faiss
import pytest

from multicap.serve import collection as collection_module
from multicap.serve.collection import Collection
from tests.serve.conftest import Served


def test_a_search_in_a_request_thread_runs_faiss_on_one_thread(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    # OpenMP keeps its thread count per thread: a thread other than the one `create_app` set it in (every
    # request thread) ran each exact scan on every core, three times the CPU on two cores.
    seen: list[int] = []
    search_index = collection_module.search_index

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(faiss.omp_get_max_threads())
        return search_index(*args, **kwargs)

    monkeypatch.setattr(collection_module, "search_index", recording)
    collection = Collection(served.root)
    image = Path(collection.catalogue().by_id[served.ids["rocket.jpg"]])

    hits: list[int] = []

    def request() -> None:
        hits.append(len(collection.search_text("a rocket", 3, None).hits))
        hits.append(len(collection.search_image(image, 3).hits))

    thread = threading.Thread(target=request)
    thread.start()
    thread.join()
    assert hits == [3, 3] and seen == [1, 1]
