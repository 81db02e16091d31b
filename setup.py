"""Maps the design card's top-level folders onto the import package `nanscope`.

`analysis/` becomes `nanscope.analysis` and `server/` becomes `nanscope.server`. The package list is
computed with find_packages so a new subpackage can never be silently left out of the wheel
(tests/test_packaging.py guards this).
"""
from setuptools import find_packages, setup

FOLDERS = {"nanscope.analysis": "analysis", "nanscope.server": "server"}


def mapped_packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for package, folder in FOLDERS.items():
        package_dir[package] = folder
        packages.append(package)
        packages.extend(f"{package}.{sub}" for sub in find_packages(folder))
    return packages, package_dir


if __name__ == "__main__":
    packages, package_dir = mapped_packages()
    setup(packages=packages, package_dir=package_dir)
