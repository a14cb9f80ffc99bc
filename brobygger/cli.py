"""The `brobygger` command."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from brobygger.services import SERVICES


def _infra_up(args: argparse.Namespace) -> int:
    from brobygger.infra import InfraError, LocalInfra

    try:
        infra = LocalInfra(data_dir=Path(args.data_dir).resolve() if args.data_dir else None).start()
    except InfraError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        for key, value in infra.env().items():
            print(f"{key}={value}", flush=True)
        print("# Ctrl-C stops the broker and Redis.", file=sys.stderr, flush=True)
        while not stop:
            time.sleep(0.2)
    finally:
        infra.stop()
    return 0


def _schema(args: argparse.Namespace) -> int:
    from shared.schema import asyncapi, json_schemas

    print(json.dumps(asyncapi() if args.asyncapi else json_schemas(), indent=2, ensure_ascii=False))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from brobygger.demo import load_demo

    try:
        counts = load_demo(args.api, intakes=args.intakes)
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"loaded {counts['opportunities']} opportunities and {counts['intakes']} sample intakes")
    return 0


def _run(args: argparse.Namespace) -> int:
    from brobygger.run import run

    return run(Path(args.workdir), api_port=args.port, demo=not args.no_demo)


def _keys_rotate(args: argparse.Namespace) -> int:
    import asyncio

    from redis.asyncio import Redis

    from shared.crypto import KeyRing, KeySettings, KeyStore
    from shared.settings import CommonSettings, RedisSettings

    async def rotate() -> str:
        common = CommonSettings()
        redis = Redis.from_url(RedisSettings().url.get_secret_value(), socket_timeout=10)
        try:
            store = KeyStore(redis, common.namespace, KeyRing.from_settings(KeySettings(), common.mode))
            report = await store.rotate()
        finally:
            await redis.aclose()
        return f"re-wrapped {report.rewrapped} citizen keys with the current KEK; {report.unchanged} already were"

    try:
        print(asyncio.run(rotate()))
    except Exception as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _serve(args: argparse.Namespace) -> int:
    from brobygger.services import serve

    serve(args.command)
    return 0


def _token(argv: list[str]) -> int:
    from brobygger.token import main as token_main

    return token_main(argv)


def _rank(argv: list[str]) -> int:
    from services.matcher.entrypoints.offline import main as offline_main

    return offline_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["rank"]:
        return _rank(argv[1:])
    if argv[:1] == ["token"]:
        return _token(argv[1:])
    parser = argparse.ArgumentParser(prog="brobygger", description="Brobygger: matching for integration work.")
    sub = parser.add_subparsers(dest="command", required=True)

    infra = sub.add_parser("infra", help="the local broker and Redis")
    infra_sub = infra.add_subparsers(dest="action", required=True)
    up = infra_sub.add_parser("up", help="start a Tansu broker and redis-server on free ports until Ctrl-C")
    up.add_argument("--data-dir", help="where Redis keeps its append-only file (default: a temporary folder)")
    up.set_defaults(func=_infra_up)

    schema = sub.add_parser("schema", help="print every contract's JSON Schema (or the AsyncAPI document)")
    schema.add_argument("--asyncapi", action="store_true", help="print the AsyncAPI 3.0 document instead")
    schema.set_defaults(func=_schema)

    demo = sub.add_parser("demo", help="load the Holbæk demo catalogue and sample intakes through the API")
    demo.add_argument("--api", required=True, help="intake base URL, e.g. http://127.0.0.1:8000")
    demo.add_argument("--intakes", type=int, default=None, help="how many sample intakes (default: all)")
    demo.set_defaults(func=_demo)

    run = sub.add_parser("run", help="start everything on this machine until Ctrl-C")
    run.add_argument("--workdir", default=".run", help="folder for data and the e-mail sink (default .run)")
    run.add_argument("--port", type=int, default=8000, help="intake port (a free one if taken)")
    run.add_argument("--no-demo", action="store_true", help="do not load the demo catalogue")
    run.set_defaults(func=_run)

    keys = sub.add_parser("keys", help="the citizens' keys in Redis")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    keys_sub.add_parser(
        "rotate",
        help="re-wrap every citizen key with BROBYGGER_KEK (old KEKs in BROBYGGER_KEK_PREVIOUS), "
        "then rewrite Redis's append-only file",
    ).set_defaults(func=_keys_rotate)

    for name in SERVICES:
        sub.add_parser(name, help=f"run the {name} service (settings from the environment)").set_defaults(func=_serve)

    sub.add_parser("rank", help="rank offline: rank --opportunities FILE --profiles FILE --top N")
    sub.add_parser("token", help="print a local bearer token: token --role ROLE --subject ID [--municipality CODE]")

    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
