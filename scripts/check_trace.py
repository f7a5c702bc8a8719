#!/usr/bin/env python3
"""Checks that a Chrome trace written by `cavendish simulate model ... --trace FILE` opens in Perfetto.

With the `perfetto` PyPI package and its trace_processor_shell binary available (the package downloads
the binary on first use; offline, point PERFETTO_TP_BIN at a copy), the trace is loaded into Perfetto's
trace processor and the slices per track are counted. Without the binary it falls back to the checks
Perfetto's JSON importer needs: a `traceEvents` list, complete ("X") events with numeric ts/dur, and
slices on each (pid, tid) track that nest rather than partially overlap.

    python3 scripts/check_trace.py sdxl-step.json
"""
import json
import os
import sys


def structural(path: str) -> int:
    doc = json.load(open(path))
    events = [e for e in doc["traceEvents"] if e.get("ph") == "X"]
    assert events, "no complete events"
    tracks = {}
    for e in events:
        assert isinstance(e["ts"], (int, float)) and isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
        tracks.setdefault((e["pid"], e["tid"]), []).append((e["ts"], e["ts"] + e["dur"]))
    for key, spans in tracks.items():
        spans.sort()
        stack = []
        for start, end in spans:
            while stack and stack[-1] <= start + 1e-6:
                stack.pop()
            assert not stack or end <= stack[-1] + 1e-6, f"track {key}: slice {start}-{end} partially overlaps its parent"
            stack.append(end)
    names = {m["tid"]: m["args"]["name"] for m in doc["traceEvents"] if m.get("ph") == "M" and m["name"] == "thread_name"}
    for key in sorted(tracks):
        print(f"  tid {key[1]} ({names.get(key[1], '?')}): {len(tracks[key])} slices")
    return len(events)


def main() -> None:
    path = sys.argv[1]
    try:
        from perfetto.trace_processor import TraceProcessor, TraceProcessorConfig
        binary = os.environ.get("PERFETTO_TP_BIN")
        config = TraceProcessorConfig(bin_path=binary) if binary else None
        tp = TraceProcessor(trace=path, config=config) if config else TraceProcessor(trace=path)
        rows = tp.query("select thread.name as track, count(*) as n from slice join thread_track on slice.track_id = thread_track.id "
                        "join thread using(utid) group by thread.name").as_pandas_dataframe()
        print("perfetto trace processor loaded the trace:")
        print(rows.to_string(index=False))
        return
    except Exception as error:  # no package, or no binary offline
        print(f"perfetto trace processor unavailable ({type(error).__name__}); structural check instead:")
    n = structural(path)
    print(f"ok: {n} slices, every track nests")


if __name__ == "__main__":
    main()
