"""Validates docker-compose.yml and the Dockerfile without Docker, by running what they describe.

  check_compose.py BIN_DIR

1. The compose file is parsed and checked: Redis plus Swift worker, beat and web services built from the
   Dockerfile, the worker's command is the Swift spelling of `celery -A api worker --loglevel=info`, every command
   is an executable the Dockerfile puts in the image, every service gets CELERY_BROKER_URL.
2. Each built service's command runs from BIN_DIR (the debug build) with the service's environment, against a
   private redis-server on a free port that stands in for the `redis` service; a task sent through the web
   service's HTTP API must be run by the worker service and read back as SUCCESS; SIGTERM must stop every service
   cleanly (exit status 0: the warm shutdown `docker stop` relies on).
"""
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fail(message):
    print(f"check-compose: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def staged_binaries(dockerfile):
    """The executables the Dockerfile's build stage builds (`--product NAME`)."""
    return set(re.findall(r"--product\s+([\w-]+)", dockerfile))


def validate(compose, dockerfile):
    services = compose.get("services") or fail("no services")
    for name in ("redis", "worker", "beat", "web"):
        name in services or fail(f"service {name!r} is missing")
    services["redis"].get("image", "").startswith("redis") or fail("the redis service must use a redis image")
    worker_command = services["worker"].get("command")
    worker_command == "celeriac-example worker --loglevel=info" or fail(f"worker command is {worker_command!r}")
    binaries = staged_binaries(dockerfile)
    built = {name: s for name, s in services.items() if "build" in s}
    set(built) >= {"worker", "beat", "web"} or fail("worker, beat and web must be built from the Dockerfile")
    for name, service in built.items():
        argv = shlex.split(service["command"]) if isinstance(service["command"], str) else service["command"]
        argv[0] in binaries or fail(f"{name}: {argv[0]} is not built by the Dockerfile ({sorted(binaries)})")
        env = service.get("environment") or {}
        env.get("CELERY_BROKER_URL", "").startswith("redis://redis:") or fail(f"{name}: CELERY_BROKER_URL must point at the redis service")
    "CMD" in dockerfile and "celeriac-example" in dockerfile or fail("the Dockerfile's default command must run the worker")
    return built


def docker_compose_config():
    try:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        probe = None
    if probe is None or probe.returncode != 0:
        print("check-compose: no `docker compose` here; validated by parsing and by running the services")
        return
    result = subprocess.run(["docker", "compose", "-f", os.path.join(ROOT, "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True, timeout=60)
    result.returncode == 0 or fail(f"docker compose config: {result.stderr}")
    print("check-compose: docker compose config: ok")


def http(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read().decode())


def run_services(built, bin_dir):
    redis_port = free_port()
    web_port = free_port()
    workdir = tempfile.mkdtemp(prefix="celeriac-compose-")
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--dir", workdir], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    processes = {}
    logs = {}
    try:
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", redis_port), timeout=1).close()
                break
            except OSError:
                time.time() < deadline or fail("redis-server did not start")
                time.sleep(0.1)
        for name, service in built.items():
            argv = shlex.split(service["command"])
            argv = [os.path.join(bin_dir, argv[0])] + [
                str(web_port) if (i > 0 and argv[i - 1] == "--port") else a for i, a in enumerate(argv[1:], start=1)]
            env = dict(os.environ)
            for key, value in (service.get("environment") or {}).items():
                env[key] = str(value).replace("redis://redis:6379", f"redis://127.0.0.1:{redis_port}")
            logs[name] = open(os.path.join(workdir, f"{name}.log"), "w+")
            processes[name] = subprocess.Popen(argv, env=env, cwd=workdir, stdout=logs[name], stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{web_port}"
        deadline = time.time() + 60
        sent = None
        while sent is None:
            try:
                sent = http("POST", f"{base}/add", {"x": 2, "y": 3})
            except OSError:
                for name, process in processes.items():
                    process.poll() is None or fail(f"{name} exited with {process.returncode}: {tail(logs[name])}")
                time.time() < deadline or fail(f"the web service did not answer: {tail(logs['web'])}")
                time.sleep(0.3)
        task_id = sent.get("id") or sent.get("task_id") or fail(f"POST /add returned {sent}")
        deadline = time.time() + 60
        while True:
            state = http("GET", f"{base}/tasks/{task_id}")
            status = state.get("state") or state.get("status")
            if status == "SUCCESS":
                state.get("result") == 5 or fail(f"tasks.add(2, 3) returned {state}")
                break
            status in (None, "PENDING", "RECEIVED", "STARTED") or fail(f"task ended {state}")
            time.time() < deadline or fail(f"the worker service did not run the task: {tail(logs['worker'])}")
            time.sleep(0.2)
        print(f"check-compose: web -> redis -> worker -> result: ok ({task_id})")
        for name, process in processes.items():
            process.poll() is None or fail(f"{name} exited early with {process.returncode}: {tail(logs[name])}")
            process.send_signal(signal.SIGTERM)
        for name, process in processes.items():
            try:
                code = process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                process.kill()
                fail(f"{name} did not stop within 40 s of SIGTERM: {tail(logs[name])}")
            code == 0 or fail(f"{name} exited with {code} after SIGTERM: {tail(logs[name])}")
        print("check-compose: every service stopped cleanly on SIGTERM")
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def tail(log):
    log.flush()
    log.seek(0)
    return "".join(log.readlines()[-20:])


def main():
    if len(sys.argv) != 2:
        fail("usage: check_compose.py BIN_DIR")
    with open(os.path.join(ROOT, "docker-compose.yml")) as f:
        compose = yaml.safe_load(f)
    with open(os.path.join(ROOT, "Dockerfile")) as f:
        dockerfile = f.read()
    built = validate(compose, dockerfile)
    print("check-compose: docker-compose.yml and Dockerfile agree")
    docker_compose_config()
    run_services(built, sys.argv[1])


if __name__ == "__main__":
    main()
