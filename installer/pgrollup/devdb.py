"""A throwaway local PostgreSQL cluster with pg_cron, for the demo, the tests and the benchmarks.

PostgreSQL refuses to run as root: when this process is root, the server is initialised and
started as the unprivileged ``postgres`` OS user (``runuser``) in a directory that user owns.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from .errors import UserError


def find_bindir() -> Path:
    """Directory of the PostgreSQL server binaries (initdb, pg_ctl, postgres)."""
    candidates = []
    if os.environ.get("PGROLLUP_PG_BINDIR"):
        candidates.append(os.environ["PGROLLUP_PG_BINDIR"])
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                             check=True).stdout.strip())
        except subprocess.CalledProcessError:
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    raise UserError("PostgreSQL server binaries not found (install postgresql-15 and postgresql-15-cron, "
                    "or set PGROLLUP_PG_BINDIR)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """initdb + pg_ctl start of a private cluster; ``stop()`` removes it."""

    def __init__(self, port: int | None = None, base_dir: str | None = None, settings: dict | None = None,
                 with_cron: bool = True):
        self.bindir = find_bindir()
        self.port = port or free_port()
        self.as_root = os.geteuid() == 0
        self.base = Path(base_dir or tempfile.mkdtemp(prefix="pgrollup-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.settings = settings or {}
        self.user = "postgres"
        self.started = False
        self.with_cron = with_cron

    def _run(self, *args, check=True):
        cmd = [str(a) for a in args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        res = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/")
        if check and res.returncode != 0:
            raise UserError(f"{Path(cmd[-1] if not args else args[0]).name} failed: "
                            f"{(res.stderr or res.stdout).strip().splitlines()[-1:] or ['?']}")
        return res

    def start(self) -> "Cluster":
        if not (self.bindir / "postgres").exists():
            raise UserError(f"no postgres server binary in {self.bindir}")
        lib = Path(subprocess.run([str(self.bindir / "pg_config"), "--pkglibdir"], capture_output=True, text=True).stdout.strip()
                   if (self.bindir / "pg_config").exists() else "")
        has_cron = self.with_cron and bool(lib) and (lib / "pg_cron.so").exists()
        if self.as_root:
            subprocess.run(["chown", "postgres:", str(self.base)], check=True)
        os.chmod(self.base, 0o755)
        self._run(self.bindir / "initdb", "-D", self.data, "-U", self.user, "--auth=trust",
                  "--encoding=UTF8", "--locale=C", "--no-sync")
        conf = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.base}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": 200,
            "shared_buffers": "'256MB'",
            "log_min_messages": "warning",
            "timezone": "'UTC'",
        }
        if has_cron:
            conf.update({"shared_preload_libraries": "'pg_cron'", "cron.database_name": "'postgres'",
                         "cron.host": f"'{self.base}'"})
        conf.update(self.settings)
        conf_text = "".join(f"{k} = {v}\n" for k, v in conf.items())
        auto = self.data / "postgresql.auto.conf"
        if self.as_root:
            self._run("sh", "-c", f"cat >> '{auto}' <<'EOF'\n{conf_text}EOF\n")
        else:
            with open(auto, "a") as f:
                f.write(conf_text)
        res = self._run(self.bindir / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "start", check=False)
        if res.returncode != 0:
            tail = ""
            try:
                tail = self.log.read_text().strip().splitlines()[-1]
            except OSError:
                pass
            raise UserError(f"could not start PostgreSQL: {tail or res.stderr.strip()}")
        self.started = True
        self.has_cron = has_cron
        if has_cron:
            import psycopg
            with psycopg.connect(self.dsn("postgres"), autocommit=True) as c:
                c.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
        return self

    def dsn(self, dbname: str = "postgres", user: str | None = None) -> str:
        return f"host=127.0.0.1 port={self.port} dbname={dbname} user={user or self.user}"

    def dump_schema(self, dbname: str) -> str:
        """pg_dump --schema-only of a database (for before/after comparisons)."""
        res = subprocess.run([str(self.bindir / "pg_dump"), "--schema-only",
                              "-d", self.dsn(dbname)], capture_output=True, text=True)
        if res.returncode != 0:
            raise UserError(f"pg_dump failed: {res.stderr.strip()}")
        # recent pg_dump releases wrap the script in \restrict <random key> ... \unrestrict <key>
        return "".join(line for line in res.stdout.splitlines(keepends=True)
                       if not line.startswith(("\\restrict", "\\unrestrict")))

    def stop(self, remove: bool = True) -> None:
        if self.started:
            self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
            self.started = False
        if remove:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def citus_available() -> str | None:
    """None when the citus extension can be loaded here, else why not."""
    try:
        sharedir = subprocess.run([str(find_bindir() / "pg_config"), "--sharedir"], capture_output=True,
                                  text=True, check=True).stdout.strip()
    except Exception as exc:  # noqa: BLE001 - any failure means: no Citus here
        return f"pg_config not usable: {exc}"
    if not (Path(sharedir) / "extension" / "citus.control").exists():
        return "the citus extension is not installed on this machine"
    return None


class CitusCluster:
    """A Citus coordinator (citus and pg_cron preloaded) and `workers` workers on this machine, each
    a throwaway Cluster (tests and benchmarks); `create_database(name)` makes a database with the
    citus extension on every node and the workers registered. `settings` apply to every node."""

    def __init__(self, workers: int = 2, settings: dict | None = None):
        # wal_level logical: shard moves that do not block writes (logical replication)
        common = {"wal_level": "logical", **(settings or {})}
        self.coordinator = Cluster(settings={**common, "shared_preload_libraries": "'citus,pg_cron'",
                                             "max_worker_processes": 16})
        self.workers = [Cluster(with_cron=False, settings={**common, "shared_preload_libraries": "'citus'"})
                        for _ in range(workers)]

    def start(self) -> "CitusCluster":
        for node in [self.coordinator, *self.workers]:
            node.start()
        return self

    def stop(self) -> None:
        for node in [self.coordinator, *self.workers]:
            node.stop()

    def pause(self, worker: Cluster) -> None:
        """Stop a worker (immediate shutdown), keeping its data for resume()."""
        worker._run(worker.bindir / "pg_ctl", "-D", worker.data, "-m", "immediate", "-w", "stop")

    def resume(self, worker: Cluster) -> None:
        worker._run(worker.bindir / "pg_ctl", "-D", worker.data, "-l", worker.log, "-w", "-t", "60", "start")

    def create_database(self, name: str) -> str:
        import psycopg
        for node in [self.coordinator, *self.workers]:
            with psycopg.connect(node.dsn("postgres"), autocommit=True) as c:
                c.execute(f"CREATE DATABASE {name}")
            with psycopg.connect(node.dsn(name), autocommit=True) as c:
                c.execute("CREATE EXTENSION citus")
        with psycopg.connect(self.coordinator.dsn(name), autocommit=True) as c:
            c.execute("SELECT citus_set_coordinator_host('127.0.0.1', %s)", (self.coordinator.port,))
            for w in self.workers:
                c.execute("SELECT citus_add_node('127.0.0.1', %s)", (w.port,))
        return self.coordinator.dsn(name)
