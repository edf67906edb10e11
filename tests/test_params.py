"""Parameters: merge order, typed overrides, refusals that name the file and key."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agrocluster import params as P
from agrocluster.errors import ParamsError


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_merge_order_defaults_cluster_override(project):
    write(project / "params" / "defaults.yaml",
          (project / "params" / "defaults.yaml").read_text() + "\nseed: 1\n")
    effective = P.resolve("chile_wine", ["concentration.kd_draws=99"])
    assert effective.params.seed == 152011  # cluster file beats defaults
    assert effective.params.concentration.kd_draws == 99  # override beats defaults
    assert effective.params.concentration.eg_simulations == 999  # defaults kept where nothing overrides
    assert effective.source_of("seed") == "params/clusters/chile_wine.yaml"
    assert effective.source_of("concentration.kd_draws") == "override"
    assert effective.source_of("concentration.eg_simulations") == "params/defaults.yaml"
    assert effective.source_of("concentration.kd_max_points") in ("params/defaults.yaml", "schema default")


def test_override_typed_by_schema_keeps_leading_zeros():
    assert P.parse_override("country_code=004") == ("country_code", "004")
    assert P.parse_override("seed=7") == ("seed", 7)
    assert P.parse_override("productivity.methods=[ols,acf]") == ("productivity.methods", ["ols", "acf"])
    assert P.parse_override("data.establishments.path=data/x.csv") == ("data.establishments.path", "data/x.csv")


def test_unknown_key_in_cluster_file_names_file_and_suggests(project):
    path = project / "params" / "clusters" / "chile_wine.yaml"
    write(path, path.read_text() + "\nconcentraton:\n  kd_draws: 10\n")
    with pytest.raises(ParamsError) as err:
        P.resolve("chile_wine")
    message = str(err.value)
    assert "params/clusters/chile_wine.yaml" in message
    assert "'concentraton'" in message and "did you mean 'concentration'" in message
    assert "valid keys" in message


def test_unknown_nested_key_lists_valid_nested_keys(project):
    path = project / "params" / "clusters" / "chile_wine.yaml"
    write(path, path.read_text() + "\nconcentration:\n  kd_drawz: 10\n")
    with pytest.raises(ParamsError, match=r"concentration\.kd_drawz.*did you mean 'concentration\.kd_draws'"):
        P.resolve("chile_wine")


def test_wrong_type_names_file_and_key(project):
    path = project / "params" / "clusters" / "chile_wine.yaml"
    write(path, path.read_text().replace("seed: 152011", "seed: many"))
    with pytest.raises(ParamsError) as err:
        P.resolve("chile_wine")
    assert "params/clusters/chile_wine.yaml" in str(err.value) and "'seed'" in str(err.value)


def test_out_of_range_override_is_refused():
    with pytest.raises(ParamsError, match=r"override: key 'concentration.kd_draws'.*greater than or equal to 19"):
        P.resolve("chile_wine", ["concentration.kd_draws=5"])


@pytest.mark.parametrize("bad", ["../x", "/etc", "two words", "<script>alert(1)</script>", "Chile", ""])
def test_unsafe_cluster_ids_are_refused(bad):
    with pytest.raises(ParamsError, match="safe slug"):
        P.cluster_file(bad)


def test_unsafe_cluster_id_inside_file_is_refused(project):
    write(project / "params" / "clusters" / "evil.yaml",
          (project / "params" / "clusters" / "chile_wine.yaml").read_text().replace(
              "cluster_id: chile_wine", "cluster_id: ../evil"))
    with pytest.raises(ParamsError, match=r"params/clusters/evil.yaml: key 'cluster_id'.*not a safe slug"):
        P.resolve("evil")


def test_malformed_yaml_names_the_file(project):
    write(project / "params" / "clusters" / "broken.yaml", "cluster_id: broken\nname: [unclosed\n")
    with pytest.raises(ParamsError, match=r"broken.yaml: malformed YAML"):
        P.resolve("broken")


def test_missing_data_file_names_file_and_key(project):
    path = project / "params" / "clusters" / "chile_wine.yaml"
    write(path, path.read_text() + "\ndata:\n  establishments: {source: file, path: data/nowhere.csv}\n")
    with pytest.raises(ParamsError, match=r"data.establishments.path.*data/nowhere.csv.*not found"):
        P.resolve("chile_wine")


def test_file_source_requires_a_path():
    with pytest.raises(ParamsError, match=r"data.establishments.*needs a 'path'"):
        P.resolve("chile_wine", {"data.establishments.source": "file"})


def test_unknown_cluster_suggests_a_known_one():
    with pytest.raises(ParamsError, match="did you mean 'chile_wine'"):
        P.resolve("chile_wines")


def test_every_shipped_parameter_file_is_valid(project):
    assert P.check_all() == []


def test_cli_params_check_catches_planted_errors(project):
    clusters = project / "params" / "clusters"
    base = (clusters / "chile_wine.yaml").read_text()
    write(clusters / "typo.yaml", base.replace("cluster_id: chile_wine", "cluster_id: typo") + "\nsed: 3\n")
    write(clusters / "wrongtype.yaml", base.replace("cluster_id: chile_wine", "cluster_id: wrongtype")
          .replace("first_year: 2011", "first_year: soon"))
    write(clusters / "Bad Id.yaml", base)
    result = subprocess.run([sys.executable, "-m", "agrocluster.cli", "params", "check"],
                            capture_output=True, text=True, env=_env(project), check=False)
    assert result.returncode == 1
    assert "typo.yaml" in result.stderr and "did you mean 'seed'" in result.stderr
    assert "wrongtype.yaml" in result.stderr and "'first_year'" in result.stderr
    assert "'Bad Id'" in result.stderr and "safe slug" in result.stderr
    assert "3 parameter file(s) with errors" in result.stderr


def test_cli_params_show_prints_origins(project):
    result = subprocess.run([sys.executable, "-m", "agrocluster.cli", "params", "show", "chile_wine",
                             "-p", "country_code=004"], capture_output=True, text=True, env=_env(project), check=False)
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert '"004"' in lines["country_code"] and "# override" in lines["country_code"]
    assert "# params/clusters/chile_wine.yaml" in lines["seed"]
    assert "# params/defaults.yaml" in lines["concentration.kd_draws"]


def _env(project):
    import os

    return {**os.environ, "AGROCLUSTER_ROOT": str(project)}
