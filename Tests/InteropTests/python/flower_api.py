"""Flower's HTTP API for Celeriac's interop tests, with the standard library only.

  flower_api.py wait BASE [--timeout T]      -> exits 0 once GET BASE/healthcheck answers OK, 1 after T seconds
  flower_api.py get URL                      -> one JSON line: {"status": code, "body": parsed JSON or text}
  flower_api.py post URL [--data JSON]       -> the same, for a POST with a JSON body
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request


def request(method, url, data=None, timeout=20):
    body = data.encode() if data is not None else (b"" if method == "POST" else None)
    req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    return {"status": status, "body": parsed}


def wait(base, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if request("GET", base + "/healthcheck", timeout=2)["body"] == "OK":
                return 0
        except OSError:
            pass
        time.sleep(0.25)
    return 1


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("wait")
    p.add_argument("base")
    p.add_argument("--timeout", type=float, default=30)
    p = sub.add_parser("get")
    p.add_argument("url")
    p = sub.add_parser("post")
    p.add_argument("url")
    p.add_argument("--data")
    ns = parser.parse_args()
    if ns.command == "wait":
        return wait(ns.base, ns.timeout)
    if ns.command == "get":
        print(json.dumps(request("GET", ns.url)), flush=True)
    else:
        print(json.dumps(request("POST", ns.url, ns.data)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
