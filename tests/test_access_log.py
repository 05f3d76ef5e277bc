"""The access log keeps method, path and status but never a query string."""

from __future__ import annotations

import logging

import pytest

from app.access_log import ACCESS_LOGGER, keep_query_strings_out_of_access_logs


def test_a_staff_search_leaves_no_name_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    keep_query_strings_out_of_access_logs()
    keep_query_strings_out_of_access_logs()  # idempotent: one filter, not two
    logger = logging.getLogger(ACCESS_LOGGER)
    assert len(logger.filters) == 1
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        # The exact call uvicorn's httptools and h11 protocols make.
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:51000",
            "GET",
            "/api/patients?q=Ada%20Lovelace&sort=name",
            "1.1",
            200,
        )
    assert caplog.messages == ['127.0.0.1:51000 - "GET /api/patients HTTP/1.1" 200']


def test_other_records_pass_untouched(caplog: pytest.LogCaptureFixture) -> None:
    keep_query_strings_out_of_access_logs()
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        logging.getLogger(ACCESS_LOGGER).info("plain %s", "message?kept")
    assert caplog.messages == ["plain message?kept"]
