"""What a parse worker sends the main process — items, verdicts and their story features — arrives whole.

``Item``, ``Signature`` and ``Fingerprint`` pickle as constructor calls (``__reduce__``), which is cheaper to
load in the main process than a frozen slotted dataclass's default; a field added to one and left out of its
``__reduce__`` would come back as its default, and these tests set every field to something else.
"""

from __future__ import annotations

import dataclasses
import json
import pickle
from datetime import UTC, datetime

import numpy as np
import pytest

from bot.match.classify import Classification, classify, entity_ids
from bot.normalize.item import Item
from bot.stories.fingerprint import Fingerprint
from bot.stories.signatures import Signature, band_keys, signature, twin_hash


def _trip(obj: object) -> object:
    return pickle.loads(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def test_an_item_survives_the_trip_with_every_field() -> None:
    values = {
        "published": datetime(2026, 12, 1, 8, tzinfo=UTC),
        "fetched": datetime(2026, 12, 1, 9, tzinfo=UTC),
        "authors": ("Desk", "Wire"),
    }
    item = Item(**{f.name: values.get(f.name, f"{f.name} value") for f in dataclasses.fields(Item)})
    back = _trip(item)
    assert type(back) is Item
    for f in dataclasses.fields(Item):
        assert getattr(back, f.name) == getattr(item, f.name), f.name
        assert getattr(back, f.name) != f.default, f"{f.name} came back as its default"


def test_story_features_survive_the_trip() -> None:
    sig = Signature(np.arange(128, dtype=np.uint32) * 7, 42)
    back = _trip(sig)
    assert isinstance(back, Signature) and back.n_shingles == 42
    assert back.hashvalues.dtype == np.uint32 and np.array_equal(back.hashvalues, sig.hashvalues)
    computed = signature(" ".join(f"word{i} of a long enough body about export licences" for i in range(12)))
    assert computed.bands is not None and computed.twin is not None
    came = _trip(computed)
    assert isinstance(came, Signature) and came.bands is not None
    assert np.array_equal(came.bands, computed.bands) and came.twin == computed.twin
    fp = Fingerprint(frozenset({"num:12", "org:huawei"}))
    assert _trip(fp) == fp and type(_trip(fp)) is Fingerprint


def test_the_keys_a_signature_carries_are_the_ones_the_index_would_compute() -> None:
    """Computed in the parse worker with the signature, they must equal what the writer computed before (and
    still computes for a signature read back from storage, which carries none)."""
    for n in (1, 40, 300):
        sig = signature(" ".join(f"w{i % 97} h{i % 13} chips export rule" for i in range(n)))
        bare = Signature(sig.hashvalues, sig.n_shingles)
        if not sig.informative:
            assert sig.bands is None and sig.twin is None
            continue
        assert sig.bands is not None and np.array_equal(sig.bands, band_keys(bare.hashvalues[None, :])[0])
        assert sig.twin == twin_hash(bare)


def test_a_verdict_arrives_equal_with_its_hits_and_reasons_read_only_when_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The writer needs a verdict's entity ids and its stored JSON: the hits and reasons travel as that JSON
    (with the ids beside it) and are read back into objects on first use, equal to what was sent."""
    sent = classify(
        "Commerce adds SMIC and Huawei units to the Entity List over Nvidia H20 exports",
        "The Bureau of Industry and Security said the export controls take effect at once.",
    )
    assert sent.relevant and len(sent.entities) > 2 and sent.stored is not None
    reads: list[str] = []
    real_loads = json.loads
    monkeypatch.setattr(json, "loads", lambda text: reads.append(text) or real_loads(text))
    back = _trip(sent)
    assert isinstance(back, Classification) and back.severity is sent.severity and back.stored == sent.stored
    assert entity_ids(back.entities) == tuple(e.id for e in sent.entities)
    assert reads == [], "the ids need no reading"
    assert back == sent and hash(back) == hash(sent)
    assert tuple(back.entities) == sent.entities and tuple(back.reasons) == sent.reasons
    assert back.entities[0] == sent.entities[0] and len(back.reasons) == len(sent.reasons)
    assert len(reads) == 2, "each read once"
    assert _trip(back) == sent, "and it travels again"
    # a verdict made without its stored JSON (by a caller's own classifier) travels whole
    plain = dataclasses.replace(sent, stored=None)
    again = _trip(plain)
    assert again == plain and type(again.entities) is tuple and again.stored is None
