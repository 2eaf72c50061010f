"""Why a nose install is broken: probes run in the target interpreter, checks judge the facts."""
