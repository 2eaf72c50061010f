"""The doctor's suite: real broken environments, diagnosed through the real CLI.

The venvs come from ``envs.py`` (cached between runs); ``setup_package`` builds the missing ones
in parallel so a cold run pays for the slowest build, not for the sum of them.
"""


def setup_package():
    import subprocess
    from concurrent.futures import ThreadPoolExecutor
    from unittest import SkipTest

    from suites.doctor import envs

    def build(name):
        try:
            envs.get(name)
        except (SkipTest, RuntimeError, subprocess.CalledProcessError):
            pass  # the tests that need this environment skip or fail with the reason

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(build, envs.RECIPES))
