"""Helper processes called from the event loop without threads (crawler.helperpipe): answers in order,
large messages both ways, the helper's exceptions re-raised, a dead helper fails its calls in hand."""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest

from crawler.helperpipe import Helper, Helpers
from readerkit import die, echo, echo_size, nap


def with_helper(scenario):
    """``await scenario(helper)`` on a fresh helper, closed after it."""
    async def run():
        helper = Helper()
        try:
            return await scenario(helper)
        finally:
            helper.close()

    return asyncio.run(run())


def test_calls_are_answered_in_another_process_without_threads_here():
    async def scenario():
        threads = threading.active_count()
        helpers = Helpers(2)
        try:
            answers = await asyncio.gather(*(helpers.call(echo, i) for i in range(40)))
            return answers, threading.active_count() - threads, helpers.pids()
        finally:
            helpers.close()

    answers, new_threads, pids = asyncio.run(scenario())
    assert [value for _, value in answers] == list(range(40))
    assert {pid for pid, _ in answers} == pids and len(pids) == 2 and os.getpid() not in pids  # both helpers took calls
    assert new_threads == 0


def test_large_messages_cross_both_ways_without_blocking_the_loop():
    big = os.urandom(3 << 20)  # far past a socket's buffer: written and read in pieces

    async def scenario(helper):
        ticks = 0

        async def tick():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        ticker = asyncio.ensure_future(tick())
        try:
            return await asyncio.gather(*(helper.call(echo_size, big) for _ in range(3))), ticks
        finally:
            ticker.cancel()

    answers, ticks = with_helper(scenario)
    assert answers == [big[::-1]] * 3
    assert ticks > 3  # the loop ran other work while the messages crossed


def test_the_helpers_exception_is_raised_to_its_caller_and_the_helper_goes_on():
    async def scenario(helper):
        with pytest.raises(ValueError, match="не прочитано"):
            await helper.call(functools.partial(echo, fail=True), "устав.pdf")
        return await helper.call(echo, "дальше")

    assert with_helper(scenario)[1] == "дальше"


def test_a_dead_helper_fails_every_call_in_hand_and_takes_no_more():
    async def scenario(helper):
        calls = [helper.call(nap, 0.2), helper.call(die), helper.call(echo, "после")]
        results = await asyncio.gather(*calls, return_exceptions=True)
        return results, await asyncio.gather(helper.call(echo, 1), return_exceptions=True)

    results, late = with_helper(scenario)
    assert results[0] == 0.2
    assert isinstance(results[1], BrokenProcessPool) and isinstance(results[2], BrokenProcessPool)
    assert isinstance(late[0], BrokenProcessPool)


def test_a_cancelled_call_drops_its_answer_and_the_next_gets_its_own():
    async def scenario(helper):
        helper.call(nap, 0.3).cancel()
        return await helper.call(echo, "своё")

    assert with_helper(scenario)[1] == "своё"


def test_closing_waits_for_the_helper_to_end():
    async def scenario():
        helper = Helper()
        await helper.call(echo, 0)
        helper.close()
        return helper.process

    process = asyncio.run(scenario())
    assert not process.is_alive() and process.exitcode == 0


def test_a_helper_closed_during_a_call_ends_quietly(capfd):
    async def scenario():
        helper = Helper()
        await helper.call(echo, 0)
        helper.call(nap, 0.3)  # abandoned: the crawl ends while it runs
        await asyncio.sleep(0.1)
        helper.close()
        return helper.process

    process = asyncio.run(scenario())
    assert process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err
