"""harness services (work in progress; replaced by its owner)."""


def configure(parser):
    pass


def run(args):
    return 0
