"""The folders analysis/ and server/ ship as nanscope.analysis / nanscope.server, with every subpackage."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _folders_with_init(folder: str) -> set[str]:
    base = ROOT / folder
    return {str(p.parent.relative_to(base)).replace("/", ".") for p in base.rglob("__init__.py")
            if "__pycache__" not in p.parts}


def test_every_subpackage_is_listed():
    sys.path.insert(0, str(ROOT))
    try:
        import setup  # the project's setup.py: importing it does not run setup()
    finally:
        sys.path.remove(str(ROOT))
    packages, package_dir = setup.mapped_packages()
    for package, folder in package_dir.items():
        expected = {package if sub == "." else f"{package}.{sub}" for sub in _folders_with_init(folder)}
        assert expected <= set(packages), expected - set(packages)


def test_wheel_contains_mapped_packages(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True)
    wheel = next(tmp_path.glob("nanscope-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "nanscope/analysis/graph/loader.py" in names
    assert "nanscope/analysis/tracing/agent.py" in names
    assert "nanscope/server/__main__.py" in names
    assert not any(name.startswith(("analysis/", "server/", "tests/")) for name in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "nanscope = nanscope.analysis.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_bare_folder_import_is_banned_by_ruff(tmp_path):
    probe = ROOT / "analysis" / "_probe_banned_import.py"
    probe.write_text('"""probe"""\nimport analysis  # noqa: F401\n')
    try:
        result = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "TID251", "--no-cache",
                                 str(probe)], capture_output=True, text=True, cwd=ROOT)
    finally:
        probe.unlink()
    assert result.returncode == 1 and "TID251" in result.stdout
