"""Trailers from replies agree with b4's view of the same threads (b4 run as a peer).

Needs a Python with b4 installed (``pip install b4`` in a separate virtualenv): point
``PATCHDIGEST_B4_PYTHON`` at it, or have b4 importable here. Skipped otherwise.

Known, accepted differences (each checked by hand on the archive):

* b4 takes the kernel test robot's "Reported-by: kernel test robot <lkp@intel.com>"
  invitation; patchdigest leaves bots' replies out.
* Walking up from a reply to a reply, b4 also gives the patch the intermediate reply's
  trailers without its sender check (a Reported-by in a commit message a maintainer
  re-posted in a reply): patchdigest keeps those flagged, and flagged trailers are not
  compared.
* A series sent twice (merged as one by patchdigest) is numbered differently by b4.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from patchdigest import windows
from patchdigest.pipeline import make_digest, register
from patchdigest.review import annotate, descendants, load_people
from patchdigest.store import Store

pytestmark = pytest.mark.realarchive
SIDE = Path(__file__).with_name("b4_side.py")


@pytest.fixture
def b4_python() -> str:
    chosen = os.environ.get("PATCHDIGEST_B4_PYTHON", "")
    if chosen and shutil.which(chosen):
        return chosen
    try:
        import b4  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        pytest.skip("b4 is not installed (set PATCHDIGEST_B4_PYTHON to a python that has it)")
    return sys.executable


def test_trailers_agree_with_b4(b4_python: str, kvmarm_db: Path, kvmarm_inbox: Path) -> None:
    rules = load_people().bots
    with Store(kvmarm_db) as store:
        indexed = register(store, kvmarm_inbox)
        digest = make_digest(store, indexed, windows.dates("2021-03-01", "2021-04-30", windows.zone("UTC")))
        reviews = annotate(store, indexed.archive_id, digest.series, people=load_people())
        jobs, ours, flagged, resent = [], {}, {}, set()
        for s in digest.series:
            replies = descendants(store, indexed.archive_id, s.msgids)
            if s.is_pull or not replies:
                continue
            blobs = [m.prov.blob for m in (*s.messages, *replies)]
            jobs.append({"key": s.key, "version": s.version, "blobs": blobs})
            per_patch = {str(p.counter or 1): p.trailers for p in reviews[s.key].reviews.patches}
            ours[s.key] = {n: {f"{t.key.lower()}|{t.person.email}" for t in ts if t.via != "patch" and not t.flagged}
                           for n, ts in per_patch.items()}  # fmt: skip
            flagged[s.key] = {f"{t.key.lower()}|{t.person.email}" for ts in per_patch.values() for t in ts
                              if t.flagged or t.via == "patch"}  # fmt: skip
            if s.resent:
                resent.add(s.key)
    job = {"git_dir": str(kvmarm_inbox / "git" / "0.git"), "series": jobs}
    run = subprocess.run([b4_python, str(SIDE)], input=json.dumps(job), capture_output=True, text=True, check=True)
    theirs = json.loads(run.stdout)
    assert len(jobs) > 80
    unexplained = []
    agree = 0
    for key, mine in ours.items():
        b4_view = theirs[key] or {}
        same = True
        for n in set(mine) | set(b4_view):
            a, b = mine.get(n, set()), set(b4_view.get(n, []))
            b4_only = {t for t in b - a if not rules.is_bot_address(t.split("|")[1]) and t not in flagged[key]}
            if a - b or b4_only:
                same = False
                if key not in resent:
                    unexplained.append((key, n, sorted(a - b), sorted(b4_only)))
        agree += same
    print(f"b4 peer: {agree} of {len(jobs)} threads agree")
    assert unexplained == []
    assert agree >= 0.9 * len(jobs)
