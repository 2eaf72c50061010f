"""Run nose in a child process on a throwaway project, as a user would from a terminal."""

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

NOSE_TIMEOUT = 60


class Project:
    """A temporary directory of test files; ``nose(*args)`` runs nosetests in it."""

    def __init__(self, files):
        self.root = Path(tempfile.mkdtemp(prefix="nh-web-project-"))
        for name, text in files.items():
            path = self.root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip())

    def nose(self, *args, python_args=(), env=None):
        """Run ``python -m nose ARGS`` here; return (exit status, stdout + stderr)."""
        environ = {key: value for key, value in os.environ.items()
                   if not key.startswith("NOSE_")}
        environ.update(env or {})
        completed = subprocess.run(
            [sys.executable, *python_args, "-m", "nose", "--with-summary", *args],
            cwd=self.root, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=NOSE_TIMEOUT)
        return completed.returncode, completed.stdout

    def line_of(self, name, needle):
        """The line number of the first line of file ``name`` that contains ``needle``."""
        lines = self.read(name).splitlines()
        return next(number for number, line in enumerate(lines, 1) if needle in line)

    def read(self, name):
        return (self.root / name).read_text()

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


APP = '''
import os

import tornado.web

class Hello(tornado.web.RequestHandler):
    def get(self):
        self.write({"hello": "world"})

class Pid(tornado.web.RequestHandler):
    def get(self):
        self.write({"pid": os.getpid()})

class Boom(tornado.web.RequestHandler):
    def get(self):
        raise ZeroDivisionError("the handler divided by zero")

def make_app(services):
    return tornado.web.Application([("/", Hello), ("/boom", Boom), ("/pid", Pid)])

def broken(services):
    raise RuntimeError("cannot reach the config server")
'''
