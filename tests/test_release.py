"""Releases: version, changelog and citation agree; make release checks before it tags."""

import datetime
import json
import re
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml

from tools import release
from tools.book import ROOT, repository

TODAY = datetime.date(2027, 1, 15)


def _git(root, *args):
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def scratch(tmp_path):
    """A scratch repository holding the files a release touches, committed."""
    for name in ["pyproject.toml", "CITATION.cff", "CHANGELOG.md", "helpers/__init__.py"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    (tmp_path / ".gitignore").write_text("_build/\n")
    _git(tmp_path, "init", "--quiet", "--initial-branch=main")
    _git(tmp_path, "config", "user.email", "test@example.org")
    _git(tmp_path, "config", "user.name", "Test")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "--quiet", "-m", "scratch")
    return tmp_path


def _next(version):
    major, minor, _ = map(int, version.split("."))
    return f"{major}.{minor + 1}.0"


def test_version_is_the_same_everywhere():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    import helpers

    assert helpers.__version__ == version
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["version"] == version
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)


def test_changelog_records_the_current_version_or_it_is_unreleased():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text
    headings = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, re.M)
    assert headings, "CHANGELOG.md needs a '## [x.y.z] - YYYY-MM-DD' heading per release"
    assert headings[0][0] == release.current_version(), "newest release first"
    for _, date in headings:
        datetime.date.fromisoformat(date)


def test_citation_names_the_project_as_in_config():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert citation["cff-version"] == "1.2.0"
    assert [a["name"] for a in citation["authors"]] == [config["author"]]
    assert citation["title"].startswith(config["title"])
    assert citation["repository-code"] == repository()[0]
    assert set(citation["license"]) == {"MIT", "CC-BY-4.0"}


def test_release_refuses_without_a_passing_test_run(scratch):
    version = _next(release.current_version(scratch))
    with pytest.raises(release.ReleaseError, match="make test"):
        release.release(version, root=scratch, today=TODAY)
    assert not _git(scratch, "tag", "--list")


def test_release_refuses_a_stamp_of_another_commit_or_a_dirty_tree(scratch):
    version = _next(release.current_version(scratch))
    release.stamp(scratch)
    (scratch / "notes.txt").write_text("work in progress\n")
    with pytest.raises(release.ReleaseError, match="uncommitted"):
        release.release(version, root=scratch, today=TODAY)
    _git(scratch, "add", "notes.txt")
    _git(scratch, "commit", "--quiet", "-m", "more")
    with pytest.raises(release.ReleaseError, match="no passing test run"):
        release.release(version, root=scratch, today=TODAY)


def test_release_refuses_a_stamp_written_on_a_dirty_tree(scratch):
    (scratch / "notes.txt").write_text("work in progress\n")
    release.stamp(scratch)
    (scratch / "notes.txt").unlink()
    with pytest.raises(release.ReleaseError, match="no passing test run"):
        release.release(_next(release.current_version(scratch)), root=scratch, today=TODAY)


@pytest.mark.parametrize("bad", ["0.0.1", "1.2", "v1.2.3", "1.2.3-rc1"])
def test_release_refuses_a_bad_or_old_version(scratch, bad):
    release.stamp(scratch)
    with pytest.raises(release.ReleaseError, match="VERSION"):
        release.release(bad, root=scratch, today=TODAY)


def test_release_refuses_an_empty_unreleased_section(scratch):
    text = (scratch / "CHANGELOG.md").read_text()
    head, rest = text.split("## [Unreleased]", 1)
    (scratch / "CHANGELOG.md").write_text(
        head + "## [Unreleased]\n\n## [" + rest.split("\n## [", 1)[1]
    )
    _git(scratch, "commit", "--quiet", "-am", "empty")
    release.stamp(scratch)
    with pytest.raises(release.ReleaseError, match="nothing under Unreleased"):
        release.release(_next(release.current_version(scratch)), root=scratch, today=TODAY)


def test_release_updates_version_changelog_citation_commits_and_tags(scratch):
    old = release.current_version(scratch)
    version = _next(old)
    before = (scratch / "CHANGELOG.md").read_text()
    unreleased = before.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0].strip()
    release.stamp(scratch)
    assert release.release(version, root=scratch, today=TODAY) == f"v{version}"

    assert release.current_version(scratch) == version
    assert f'__version__ = "{version}"' in (scratch / "helpers" / "__init__.py").read_text()
    citation = yaml.safe_load((scratch / "CITATION.cff").read_text())
    assert citation["version"] == version
    assert str(citation["date-released"]) == "2027-01-15"
    after = (scratch / "CHANGELOG.md").read_text()
    heading = f"## [{version}] - 2027-01-15"
    assert after.index("## [Unreleased]") < after.index(heading) < after.index(f"## [{old}]")
    section = after.split(heading, 1)[1].split("\n## [", 1)[0].strip()
    assert section == unreleased, "the Unreleased entries become the release's"
    assert after.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0].strip() == ""

    assert _git(scratch, "status", "--porcelain") == ""
    assert _git(scratch, "log", "-1", "--format=%s") == f"Release {version}"
    assert _git(scratch, "tag", "--list") == f"v{version}"
    assert _git(scratch, "rev-parse", f"v{version}^{{commit}}") == _git(
        scratch, "rev-parse", "HEAD"
    )
    # A second release needs new entries and a new test run.
    release.stamp(scratch)
    with pytest.raises(release.ReleaseError, match="nothing under Unreleased"):
        release.release(_next(version), root=scratch, today=TODAY)


def test_make_test_ends_by_stamping_and_make_release_calls_the_tool():
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "tools/release.py stamp" in recipe
    assert re.search(
        r"^release:.*\n(?:\t.*\n)*\t.*tools/release.py release \$\(VERSION\)", makefile, re.M
    )


def test_stamp_names_the_commit(scratch):
    record = release.stamp(scratch)
    saved = json.loads((scratch / "_build" / "tests-passed.json").read_text())
    assert saved == record == {"commit": _git(scratch, "rev-parse", "HEAD"), "clean": True}


def test_release_script_reports_refusals_without_a_traceback(scratch):
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "release.py"), "release", "x"],
        cwd=scratch,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 1
    assert out.stderr.startswith("release: VERSION must look like")


def test_pin_points_launch_buttons_and_setup_cells_at_a_tag(tmp_path):
    import nbformat

    from tools import colab_cell
    from tools.book import chapters

    shutil.copy2(ROOT / "_config.yml", tmp_path / "_config.yml")
    shutil.copy2(ROOT / "_toc.yml", tmp_path / "_toc.yml")
    shutil.copytree(ROOT / "book", tmp_path / "book")
    release.pin("v0.2.0", root=tmp_path)
    config = yaml.safe_load((tmp_path / "_config.yml").read_text())
    assert config["repository"]["branch"] == "v0.2.0"
    assert repository(tmp_path)[1] == "v0.2.0"
    assert '"v0.2.0"' in colab_cell.source(tmp_path)
    for path in chapters(tmp_path):
        assert colab_cell.problems(nbformat.read(path, as_version=4), tmp_path) == []
    with pytest.raises(release.ReleaseError, match="REF"):
        release.pin("v0.2.0; rm -rf /", root=tmp_path)
