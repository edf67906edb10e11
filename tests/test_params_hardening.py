"""Parameter files and overrides under hostile or careless input (issue 18): refused with the file, line or key."""

from __future__ import annotations

import pytest

from agrocluster import params as params_module
from agrocluster.errors import ParamsError


def test_duplicate_keys_are_refused_with_both_lines(project):
    path = project / "params" / "clusters" / "chile_wine.yaml"
    text = path.read_text(encoding="utf-8") + "\nprogramme:\n  name: second block\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError, match=r"chile_wine.yaml, line \d+: duplicate key 'programme' \(first at line \d+\)"):
        params_module.load("chile_wine")


def test_alias_bomb_is_refused_quickly(project):
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = project / "params" / "clusters" / "chile_wine.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nsynthetic:\n" + "\n".join("  " + line for line in levels) + "\n")
    with pytest.raises(ParamsError, match="chile_wine.yaml: expands to more than 100,000 values"):
        params_module.load("chile_wine")


def test_too_many_aliases_and_oversized_files_are_refused():
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    with pytest.raises(ParamsError, match=r"x.yaml, line 2: more than 100 YAML aliases"):
        params_module.parse_yaml(text, "x.yaml")
    with pytest.raises(ParamsError, match="limited to 1,000,000"):
        params_module.parse_yaml("a: '" + "x" * 1_000_001 + "'\n", "big.yaml")


def test_object_tags_are_refused(project):
    with pytest.raises(ParamsError, match="malformed YAML"):
        params_module.parse_yaml("seed: !!python/object/apply:os.system ['id']\n", "x.yaml")


def test_latin1_file_names_the_file_and_line(project):
    path = project / "params" / "clusters" / "chile_wine.yaml"
    path.write_bytes(path.read_bytes() + "\n# Regi\u00f3n\n".encode("latin-1"))
    with pytest.raises(ParamsError, match=r"chile_wine.yaml, line \d+: not UTF-8 \(byte 0xf3\)"):
        params_module.load("chile_wine")


@pytest.mark.parametrize("override, key", [
    ({"seed": True}, "seed"),
    ({"country_code": "\u0660\u0660\u0664"}, "country_code"),
    ({"agglomeration.conley_cutoff_km": float("inf")}, "conley_cutoff_km"),
    ({"agglomeration.bands_km": [0, 25, 10]}, "bands_km"),
    ({"agglomeration.bands_km": [0, float("nan")]}, "bands_km"),
    ({"programme.spillover_bands_km": [5]}, "spillover_bands_km"),
])
def test_values_the_run_would_refuse_are_refused_at_load(project, override, key):
    with pytest.raises(ParamsError, match=key):
        params_module.load("chile_wine", override)


def test_yml_cluster_files_are_reported_by_check(project):
    (project / "params" / "clusters" / "extra.yml").write_text("cluster_id: extra\n", encoding="utf-8")
    problems = params_module.check_all()
    assert any("extra.yml: not a .yaml file" in p and "rename" in p for p in problems)


def test_sheet_positions_are_accepted_like_the_loader_does(project):
    data = project / "data" / "firms.xlsx"
    data.write_bytes(b"placeholder")
    cluster = project / "params" / "clusters" / "chile_wine.yaml"
    cluster.write_text(cluster.read_text(encoding="utf-8")
                       + "\ndata:\n  establishments: {source: file, path: data/firms.xlsx, sheet: 1}\n", encoding="utf-8")
    assert params_module.load("chile_wine").data["establishments"].sheet == 1
    with pytest.raises(ParamsError, match="sheet -1"):
        params_module.load("chile_wine", {"data.establishments.sheet": -1})


def test_an_empty_cluster_file_gets_one_line_naming_it(project):
    (project / "params" / "clusters" / "empty.yaml").write_text("", encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        params_module.load("empty")
    lines = str(info.value).splitlines()
    assert len(lines) == 2 and "params/clusters/empty.yaml: missing required key(s) cluster_id, name," in lines[1]


def test_cli_version_and_a_closed_pipe(project):
    import os
    import subprocess
    import sys

    from agrocluster import __version__

    env = {**os.environ, "AGROCLUSTER_ROOT": str(project)}
    version = subprocess.run([sys.executable, "-m", "agrocluster.cli", "--version"], capture_output=True, text=True,
                             env=env, check=True)
    assert version.stdout.strip() == f"agrocluster {__version__}"
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line is written, as with `| head` on a long output
    try:
        shown = subprocess.run([sys.executable, "-m", "agrocluster.cli", "params", "show", "chile_wine"],
                               stdout=write_end, stderr=subprocess.PIPE, text=True, env=env)
    finally:
        os.close(write_end)
    assert shown.returncode == 1 and shown.stderr == ""


def test_site_that_cannot_be_written_fails_with_a_message(project, tmp_path):
    import os
    import subprocess
    import sys

    outputs = tmp_path / "not-a-folder"
    outputs.write_text("a file where the outputs folder should be", encoding="utf-8")  # unwritable, even for root
    env = {**os.environ, "AGROCLUSTER_ROOT": str(project), "AGROCLUSTER_OUTPUTS": str(outputs)}
    result = subprocess.run([sys.executable, "-m", "agrocluster.cli", "site"], capture_output=True, text=True, env=env)
    assert result.returncode == 1 and "cannot write" in result.stderr and "None" not in result.stdout


def test_params_check_refuses_synthetic_options_the_generator_does_not_know(project):
    cluster = project / "params" / "clusters" / "chile_wine.yaml"
    cluster.write_text(cluster.read_text(encoding="utf-8").replace("synthetic:", "synthetic:\n  n_firm: 5", 1),
                       encoding="utf-8")
    problems = params_module.check_all()
    assert any(p.startswith("params/clusters/chile_wine.yaml: synthetic: unknown option(s) 'n_firm' "
                            "(did you mean 'n_firms'?)") for p in problems)
