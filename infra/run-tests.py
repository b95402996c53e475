#!/usr/bin/env python3
"""Runs every test binary of the workspace, several at a time (`make test`).

`cargo test` runs its test binaries one after another, so a run waits for each binary's
slowest test before the next starts, and the two cores idle while a binary waits on moto.
Each integration binary starts its own moto_server (shared/testkit), so binaries are
independent and can run side by side. This runner asks cargo for the test binaries
(`cargo test --no-run`: built already, nothing compiles twice), runs them `--jobs` at a time,
slowest first (by the last run's times in target/test-times.json; a fresh clone by the seed
infra/test-times.json), each in its package's folder with CARGO_MANIFEST_DIR set as cargo
sets it, and prints each binary's whole output when it ends, so outputs never interleave.
Arguments after `--` go to every binary (a test name filter, `--nocapture`). It exits
non-zero when any binary fails or reports nothing.

Every moto the binaries start logs what it allowed the functions' roles to
target/iam/exercised.jsonl (`BAZAAR_IAM_LOG`, infra/moto/enforce.py). After a whole run
(all binaries, no filter) that passed, `devstack least-privilege` reads it and fails on a
grant of a function's policies that no test exercised and the template does not justify.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import threading
import time
import tomllib
from pathlib import Path

RESULT = re.compile(r"^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored")


def test_binaries(cargo_args):
    """(label, executable, package folder) of every test target cargo builds for `cargo test`."""
    command = ["cargo", "test", "--no-run", "--message-format=json-render-diagnostics", *cargo_args]
    out = subprocess.run(command, stdout=subprocess.PIPE, check=True, text=True).stdout
    binaries = []
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") != "compiler-artifact" or not message.get("executable"):
            continue
        if not message["profile"]["test"]:
            continue
        target = message["target"]
        folder = str(Path(message["manifest_path"]).parent)
        with open(message["manifest_path"], "rb") as manifest:
            package = tomllib.load(manifest)["package"]["name"]
        label = f"{package} ({target['kind'][0]} {target['name']})"
        binaries.append((label, message["executable"], folder))
    return binaries


def run(label, executable, folder, args):
    env = dict(os.environ, CARGO_MANIFEST_DIR=folder)
    started = time.monotonic()
    done = subprocess.run(
        [executable, *args], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seconds = time.monotonic() - started
    passed = failed = ignored = 0
    results = 0
    for line in done.stdout.splitlines():
        if m := RESULT.match(line):
            results += 1
            passed, failed, ignored = passed + int(m[1]), failed + int(m[2]), ignored + int(m[3])
    ok = done.returncode == 0 and results > 0
    return {"label": label, "ok": ok, "code": done.returncode, "seconds": seconds, "output": done.stdout,
            "passed": passed, "failed": failed, "ignored": ignored}


# Typical times of the slow binaries (seconds), for the order of a first run.
SEED_TIMES = Path(__file__).with_name("test-times.json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("TEST_JOBS", "3")))
    parser.add_argument("--times", default="target/test-times.json", help="where the last run's times are kept")
    argv = sys.argv[1:]
    passthrough = []
    if "--" in argv:
        at = argv.index("--")
        argv, passthrough = argv[:at], argv[at + 1:]
    # Anything else is for `cargo test --no-run` (`-p orders-tests`, `--test e2e`), --workspace by default.
    options, cargo_args = parser.parse_known_args(argv)

    binaries = test_binaries(cargo_args or ["--workspace"])
    times_file = Path(options.times)
    last = {}
    # A fresh clone has no times of its own yet: it orders by the committed seed's.
    for source in (times_file, SEED_TIMES):
        try:
            last = json.loads(source.read_text())
            break
        except (OSError, ValueError):
            continue
    # Slowest first, so the longest binary never starts last; unknown ones (a first run)
    # are taken to be integration tests' size, the end-to-end first of all.
    binaries.sort(key=lambda b: -last.get(b[0], 600 if "e2e" in b[0] else 60))

    whole = not passthrough and not cargo_args
    exercised = Path("target/iam/exercised.jsonl").resolve()
    exercised.parent.mkdir(parents=True, exist_ok=True)
    exercised.write_text("")
    os.environ.setdefault("BAZAAR_IAM_LOG", str(exercised))

    print(f"==> running {len(binaries)} test binaries, {options.jobs} at a time", flush=True)
    lock = threading.Lock()
    results = []

    def report(future):
        r = future.result()
        with lock:
            results.append(r)
            status = "ok" if r["ok"] else f"FAILED (exit {r['code']})"
            print(f"\n──── {r['label']}: {status}, {r['passed']} passed, {r['failed']} failed, "
                  f"{r['seconds']:.1f} s", flush=True)
            print(r["output"].rstrip(), flush=True)

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=options.jobs) as pool:
        for label, executable, folder in binaries:
            pool.submit(run, label, executable, folder, passthrough).add_done_callback(report)

    failed = [r for r in results if not r["ok"]]
    if not passthrough:
        last.update({r["label"]: round(r["seconds"], 1) for r in results})
        times_file.parent.mkdir(parents=True, exist_ok=True)
        times_file.write_text(json.dumps(last, indent=1, sort_keys=True) + "\n")
    print(f"\n==> {len(results)} test binaries in {time.monotonic() - started:.0f} s; slowest: "
          + ", ".join(f"{r['label']} {r['seconds']:.0f} s" for r in sorted(results, key=lambda r: -r["seconds"])[:3]))
    for r in failed:
        print(f"FAILED: {r['label']} (exit {r['code']}{', no test result' if r['passed'] + r['failed'] == 0 else ''})")
    print(f"tests: {sum(r['passed'] for r in results)} passed, {sum(r['failed'] for r in results)} failed, "
          f"{sum(r['ignored'] for r in results)} skipped")
    if failed:
        return 1
    if whole and os.environ["BAZAAR_IAM_LOG"] == str(exercised):
        print("\n==> least privilege: every grant of the functions' policies that no test exercised", flush=True)
        devstack = Path("target/debug/devstack")
        checked = subprocess.run([str(devstack), "least-privilege", "--exercised", str(exercised)])
        if checked.returncode != 0:
            print("FAILED: least privilege")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
