"""The mail a reporter gets, opened in a real browser (Debian's Chromium driven by Playwright):
its HTML part shows paragraphs and line breaks, not a literal `<br>`, and its link is a real
link that opens the reporter's ticket on the running helpdesk."""

from __future__ import annotations

import dataclasses
import re

import pytest
from playwright.async_api import async_playwright, expect

from chromium import FLAGS, chromium_or_skip
from conftest import eventually, make_settings, running_helpdesk
from test_browser import _shot


@pytest.fixture(scope="module")
def chromium_path() -> str:
    return chromium_or_skip()


async def test_the_acknowledgement_renders_with_a_working_link(tmp_path, nats_server, sink,
                                                              chromium_path):
    settings = make_settings(tmp_path, nats_server.url, smtp_url=sink.url)
    base = f"http://{settings.http_host}:{settings.http_port}"
    settings = dataclasses.replace(settings, public_url=base)
    async with running_helpdesk(settings) as hd:
        r = await hd.post_ticket("batam")
        assert r.status_code == 201, r.text
        number = r.json()["number"]
        [ack] = await eventually(lambda: [m for to, m in sink.messages
                                          if to == "budi@contoh.co.id"], what="tanda terima")
        page_file = tmp_path / "tanda-terima.html"
        page_file.write_text(ack.get_body(("html",)).get_content(), encoding="utf-8")
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=chromium_path, args=FLAGS)
            page = await browser.new_page()
            await page.goto(page_file.as_uri())
            body = await page.inner_text("body")
            assert "<br>" not in body and "&lt;" not in body
            assert await page.locator("p").count() >= 3  # greeting, text, link, closing
            assert "Yth. Budi Santoso," in body
            link = page.locator(f'a[href^="{base}/portal/status?nomor={number}"]')
            await expect(link).to_have_count(1)
            await _shot(page, "surat-tanda-terima")
            await link.click()
            await expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/portal/status"))
            await expect(page.locator("body")).to_contain_text(number)
            await browser.close()
