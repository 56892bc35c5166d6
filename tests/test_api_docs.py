import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs_pages_load_only_same_origin_scripts(client, path):
    """The docs must work offline and under our CSP (script-src 'self'): no CDN, no inline JS."""
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts, "the docs page loads its viewer"
    for attributes in scripts:
        src = re.search(r'src="([^"]+)"', attributes)
        assert src is not None, f"inline script on {path}: {attributes}"
        assert src.group(1).startswith("/"), f"off-site script on {path}: {src.group(1)}"
        url = src.group(1).replace("&amp;", "&")
        if url.startswith(settings.STATIC_URL):
            # whitenoise serves these in production; the test client serves no static files.
            assert finders.find(url.removeprefix(settings.STATIC_URL)), f"missing {url}"
        else:
            assert client.get(url).status_code == 200
