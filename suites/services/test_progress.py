"""Step timings for `services up`, and what a failed step and a silent server say."""

import io
import os
import re
import tempfile
import unittest

from harness.errors import ServiceError
from harness.services import binaries, rabbitmq
from harness.services.progress import Progress, printer


class ProgressTest(unittest.TestCase):
    def test_a_finished_step_is_printed_with_its_time(self):
        out = io.StringIO()
        progress = Progress(printer(out))
        with progress.step("postgres", "copy cached initdb template"):
            pass
        self.assertRegex(out.getvalue(), r"^postgres +copy cached initdb template +\d+ ms\n$")
        self.assertEqual([step[:2] for step in progress.steps],
                         [("postgres", "copy cached initdb template")])

    def test_the_failing_step_is_printed_with_its_time_and_the_error_goes_on(self):
        out = io.StringIO()
        progress = Progress(printer(out))
        with self.assertRaises(ServiceError):
            with progress.step("rabbitmq", "epmd on 127.0.0.1:1"):
                raise ServiceError("epmd could not listen")
        self.assertRegex(out.getvalue(), r"^rabbitmq +epmd on 127\.0\.0\.1:1 +failed after \d+ ms\n$")
        self.assertEqual(progress.steps, [])


class SilentServerTest(unittest.TestCase):
    def test_a_server_that_wrote_no_log_is_not_told_to_read_it(self):
        try:
            epmd = binaries.find_rabbitmq().epmd
        except ServiceError as error:
            raise unittest.SkipTest(f"no Erlang epmd here: {error.message}") from None
        with tempfile.TemporaryDirectory() as directory:
            server = os.path.join(directory, "rabbitmq-server")
            with open(server, "w", encoding="utf-8") as handle:
                handle.write("#!/bin/sh\nexit 3\n")
            os.chmod(server, 0o755)
            out = io.StringIO()
            with self.assertRaises(ServiceError) as caught:
                rabbitmq.start_private(progress=Progress(printer(out)),
                                       rabbit=binaries.RabbitBinaries(server, epmd),
                                       environ=dict(os.environ, HARNESS_RUN_DIR=directory))
            left = [name for name in os.listdir(directory) if name != "rabbitmq-server"]
        text = caught.exception.render()
        self.assertIn("the private RabbitMQ exited during boot (exit status 3)", text)
        self.assertIn("(the server wrote no log)", text)
        self.assertNotIn("read the log above", text)
        self.assertIn(f"fix: run {server} by hand to see why", text)
        self.assertTrue(re.search(r"^rabbitmq +rabbitmq-server until AMQP answers on :\d+ +"
                                  r"failed after \d+ ms$", out.getvalue(), re.MULTILINE),
                        out.getvalue())
        self.assertEqual(left, [])
