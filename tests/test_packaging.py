"""One dependency list: pyproject.toml for pip and CI, environment.yml installs it through pip."""

import tomllib

import yaml

from .conftest import REPO


def test_environment_yml_installs_the_package_and_its_test_extra_through_pip():
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    dependencies = environment["dependencies"]
    assert "pip" in dependencies
    assert any(str(item).startswith("python>=3.11") for item in dependencies)
    pip_section = next(item["pip"] for item in dependencies if isinstance(item, dict))
    assert pip_section == ["--editable .[test]"]


def test_pyproject_declares_the_pipeline_stack():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    names = {requirement.split(">")[0].split("=")[0].split("<")[0].strip() for requirement in project["dependencies"]}
    assert {"numpy", "scipy", "pandas", "seaborn", "snakemake", "papermill", "numba"} <= names
    assert project["requires-python"] == ">=3.11"
    assert project["scripts"]["bigbadminima"] == "bigbadminima.cli:main"
