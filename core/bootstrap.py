"""Two-command start on a bare machine: ``python3 -m core.bootstrap run|test [args]``.

Standard library only, because it runs before anything is installed. It makes ``.venv`` in the
repo root, installs the project into it (only when pyproject.toml changed since the last install,
so the second start is quick) and hands over to ``safeloop run`` or ``pytest`` in that venv.
No make, no bash: the same command works on Linux and on a Windows office PC
(``py -3.11 -m core.bootstrap run``).

Keep this file parseable by old Pythons (no ``match``, no new syntax) so that a too-old
interpreter gets the clear message below instead of a SyntaxError.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

MIN_PYTHON = (3, 11)
MIN_TEXT = "3.11"
REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_DIR = REPO_ROOT / ".venv"
STAMP = VENV_DIR / "safeloop-install.stamp"
CONSTRAINTS = VENV_DIR / "safeloop-constraints.txt"
IS_WINDOWS = os.name == "nt"
BIN_DIR = VENV_DIR / ("Scripts" if IS_WINDOWS else "bin")
EXE = ".exe" if IS_WINDOWS else ""
# The detector stack is an opt-in extra; a plain or test install must never pull in torch
# (gigabytes, and a CUDA build from PyPI). An unsatisfiable constraint makes pip fail loudly
# instead of downloading it if some dependency ever starts to require it.
FORBIDDEN = ("torch<0", "torchvision<0")
USAGE = """usage: python3 -m core.bootstrap run [safeloop run options]
       python3 -m core.bootstrap test [pytest options]

  run   create .venv if needed, install SafeLoop, then start `safeloop run` (default:
        --demo-if-new, so a first start shows the demo organisation)
  test  create .venv if needed, install SafeLoop with test extras, then run pytest"""


def say(message: str) -> None:
    """One progress line per step, flushed so CI logs show where time goes."""
    print("[safeloop] " + message, flush=True)


def fail(message: str, code: int = 1) -> int:
    """Print an actionable error and give the exit code back to ``main``."""
    print("[safeloop] error: " + message, file=sys.stderr, flush=True)
    return code


def _newer_python() -> list[str] | None:
    """Find a working Python 3.11+ for machines whose default one is older.

    Each candidate is run once: pyenv shims and Windows' ``py`` launcher exist for versions
    that are not installed.
    """
    names = [f"python3.{minor}" for minor in range(20, MIN_PYTHON[1] - 1, -1)]
    candidates = [[found] for found in map(shutil.which, names) if found]
    if IS_WINDOWS and shutil.which("py"):
        candidates.insert(0, ["py", "-3"])
    check = f"import sys, venv; sys.exit(sys.version_info < {MIN_PYTHON!r})"
    for argv in candidates:
        try:
            ok = subprocess.run([*argv, "-c", check], capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        if ok.returncode == 0:
            return argv
    return None


def check_python() -> int | None:
    """Return an exit code when this interpreter is too old and no better one took over."""
    if sys.version_info >= MIN_PYTHON:
        return None
    have = "{}.{}".format(*sys.version_info[:2])
    better = _newer_python()
    if better and not os.environ.get("SAFELOOP_BOOTSTRAP_REEXEC"):
        say(f"python {have} is too old; switching to {' '.join(better)}")
        env = dict(os.environ, SAFELOOP_BOOTSTRAP_REEXEC="1")
        argv = [*better, "-m", "core.bootstrap", *sys.argv[1:]]
        return subprocess.call(argv, env=env, cwd=str(REPO_ROOT))
    hint = (
        "Install it from python.org, then run: py -3.11 -m core.bootstrap run"
        if IS_WINDOWS
        else "Install python3.11 (or newer) with venv, then run: python3.11 -m core.bootstrap run"
    )
    return fail(f"SafeLoop needs Python {MIN_TEXT} or newer; this is {have}. {hint}")


def venv_python() -> Path:
    return BIN_DIR / ("python" + EXE)


PROBE = "import sys; print('{}.{}'.format(*sys.version_info[:2])); import pip"


def ensure_venv() -> int | None:
    """Create .venv with pip, or check the one there; return an exit code on failure."""
    python = venv_python()
    if python.exists():
        out = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True)
        version = out.stdout.strip()
        if out.returncode == 0 and tuple(int(p) for p in version.split(".")) >= MIN_PYTHON:
            say(f"using existing .venv (python {version})")
            return None
        return fail(
            f"{VENV_DIR} is broken, has no pip, or is older than Python {MIN_TEXT}"
            f" ({out.stderr.strip() or version}); delete the .venv folder and start again"
        )
    say("creating .venv with python {}.{}.{}".format(*sys.version_info[:3]))
    try:
        import venv

        venv.EnvBuilder(with_pip=True).create(str(VENV_DIR))
    except (OSError, subprocess.CalledProcessError) as exc:
        hint = (
            "" if IS_WINDOWS else " On Debian/Ubuntu: apt-get install python3-venv, delete .venv."
        )
        return fail(f"could not create {VENV_DIR}: {exc}.{hint}")
    if not python.exists():
        return fail(f"venv created but {python} is missing")
    say("upgrading pip")
    code = pip(["install", "--quiet", "--upgrade", "pip"])
    if code:
        say(f"pip upgrade failed (exit {code}); carrying on with the bundled pip")
    return None


def pip(args: list[str]) -> int:
    """Run the venv's pip without prompts (CI=true, no stdin) and without its version nag."""
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    env.pop("PIP_REQUIRE_VIRTUALENV", None)
    return subprocess.call(
        [str(venv_python()), "-m", "pip", *args],
        cwd=str(REPO_ROOT),
        env=env,
        stdin=subprocess.DEVNULL,
    )


def wanted_stamp() -> str:
    """Hash of what decides the install: pyproject.toml and the venv's Python (pyvenv.cfg)."""
    digest = hashlib.sha256((REPO_ROOT / "pyproject.toml").read_bytes())
    cfg = VENV_DIR / "pyvenv.cfg"
    if cfg.exists():
        digest.update(cfg.read_bytes())
    return digest.hexdigest()


def read_stamp() -> tuple[str, set[str]]:
    """Stamp format: ``<hash> <extra,extra>``; ``base`` stands for a plain ``-e .``."""
    try:
        fields = STAMP.read_text(encoding="utf-8").split()
    except OSError:
        return "", set()
    if len(fields) != 2:
        return "", set()
    return fields[0], set(fields[1].split(","))


def ensure_installed(extra: str, probe: str) -> int | None:
    """Install ``-e .[extra]`` unless the stamp says this pyproject is already in.

    Any extra includes the base install. ``probe`` is a file in the venv the command needs;
    if it vanished (someone ran ``pip uninstall``) we reinstall despite the stamp.
    """
    wanted = wanted_stamp()
    stamped, extras = read_stamp()
    covered = extra in extras or (extra == "base" and bool(extras))
    if stamped == wanted and covered and (BIN_DIR / probe).exists():
        say("dependencies up to date (pyproject.toml unchanged since the last install)")
        return None
    if stamped != wanted:
        extras = set()
    target = "." if extra == "base" else f".[{extra}]"
    say(f"installing -e {target} (a few minutes the first time)")
    CONSTRAINTS.write_text("\n".join(FORBIDDEN) + "\n", encoding="utf-8")
    code = pip(
        ["install", "--quiet", "--progress-bar", "off", "-c", str(CONSTRAINTS), "-e", target]
    )
    if code:
        return fail(f"pip install -e {target} failed (exit {code}); see the messages above")
    extras.add(extra)
    STAMP.write_text(f"{wanted} {','.join(sorted(extras))}\n", encoding="utf-8")
    say("install done")
    return None


def child_env() -> dict[str, str]:
    """Environment as if the venv were activated, so subprocesses find its tools."""
    env = dict(os.environ)
    env["VIRTUAL_ENV"] = str(VENV_DIR)
    env["PATH"] = str(BIN_DIR) + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONHOME", None)
    return env


def hand_over(argv: list[str]) -> int:
    """Replace this process on POSIX (signals reach the app directly); wait on Windows."""
    say("starting: " + " ".join(argv))
    env = child_env()
    os.chdir(str(REPO_ROOT))
    if not IS_WINDOWS:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(argv[0], argv, env)
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 130


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code of the step that failed or of the app/tests."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command not in ("run", "test"):
        print(USAGE, file=sys.stderr)
        return 2
    code = check_python()
    if code is not None:
        return code
    code = ensure_venv()
    if code is not None:
        return code
    if command == "run":
        code = ensure_installed("base", "safeloop" + EXE)
        if code is not None:
            return code
        if not rest:
            rest = ["--demo-if-new"]
        return hand_over([str(BIN_DIR / ("safeloop" + EXE)), "run", *rest])
    code = ensure_installed("test", "pytest" + EXE)
    if code is not None:
        return code
    return hand_over([str(venv_python()), "-m", "pytest", *rest])


if __name__ == "__main__":
    sys.exit(main())
