"""The composition root: every collaborator of an app, built when it starts and closed when it
stops. Routes see only the capability services (through `proxy/deps.py`); nothing here is
reached through at request time."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from litellm.llms.custom_llm import CustomLLM

from postprocess import Pipeline, Storage
from providers.gemini_web import PROVIDER_NAME, GeminiWebLLM
from proxy.accounts.browser import browser_refresh
from proxy.accounts.service import AccountService, open_accounts
from proxy.batches.service import BatchService
from proxy.chat.service import ChatService
from proxy.core.admission import Admission
from proxy.core.client_urls import url_inliner
from proxy.core.clock import Clock
from proxy.core.config import Settings
from proxy.core.metrics import Metrics
from proxy.core.models import ModelCatalog
from proxy.core.process import running_app
from proxy.core.routing import build_router
from proxy.core.upstream import Upstream
from proxy.images.service import ImageService
from proxy.jobs import JobStore
from proxy.responses.service import ResponsesService
from proxy.responses.store import ResponseStore
from proxy.retention import Retention
from proxy.shared_limits import build_limits
from proxy.status.service import StatusService

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wiring:
    admission: Admission
    chat: ChatService
    images: ImageService
    batches: BatchService
    status: StatusService
    accounts: AccountService
    responses: ResponsesService


@asynccontextmanager
async def wired(
    settings: Settings,
    plugins: dict[str, CustomLLM],
    clock: Clock,
    metrics: Metrics,
    storage: Storage,
    pipeline: Pipeline,
) -> AsyncIterator[Wiring]:
    cookie_dir = settings.server.data_dir / "cookies"
    async with AsyncExitStack() as stack:
        account_service = await stack.enter_async_context(open_accounts(settings))
        accounts = account_service.pool
        limits = build_limits(settings, clock, metrics, stack)
        gate = limits.gate
        account_service.forget_limits = gate.forget
        # One replica at a time rotates an account's cookie, when the others can read the new
        # one from the store; without a writable store each replica rotates its own copy.
        if limits.store is not None and account_service.store.writable:
            store = limits.store
            account_service.rotation_turn = lambda turn, seconds: store.take_turn(
                f"rotate:{turn}", seconds
            )
        providers: dict[str, CustomLLM] = {PROVIDER_NAME: GeminiWebLLM(accounts, gate), **plugins}
        stack.enter_context(
            running_app(
                providers, settings.litellm_settings, cookie_dir, settings.gemini_web.log_level
            )
        )
        router = build_router(settings)
        upstream = Upstream(
            router, settings.limits.retry, clock, metrics,
            prepare=url_inliner(settings.gemini_web),
            request_timeout=settings.gemini_web.request_timeout,
        )  # fmt: skip
        models = ModelCatalog(settings, frozenset(router.model_names))
        admission = Admission(settings, limits.clients, metrics)
        jobs = JobStore(
            settings.database_url, single_timeout_seconds=settings.jobs.single_timeout_seconds
        )
        stack.push_async_callback(jobs.close)
        await jobs.create_schema()
        stored_responses = ResponseStore(jobs.database)
        await stored_responses.create_schema()
        images = ImageService(
            admission, models, upstream, pipeline, storage, jobs, settings.images,
            settings.storage.type, metrics,
        )  # fmt: skip
        batches = BatchService(admission, models, images, jobs, settings.jobs)
        status = StatusService(
            settings, accounts, gate, jobs, pipeline, metrics, replica=limits.replica
        )
        chat = ChatService(admission, models, upstream)
        responses = ResponsesService(chat, stored_responses)
        batches.start()
        retention = Retention(
            batches, responses, images,
            settings.jobs.retention_days, settings.storage.retention_days,
        )  # fmt: skip
        tidying = asyncio.create_task(retention.keep_tidy())
        stack.push_async_callback(_stopped, tidying)
        stack.push_async_callback(batches.close)
        metrics.workers.set(1)  # summed over live workers when several share the metrics
        if not len(accounts):
            logger.warning("no Gemini web account configured: set GEMINI_SECURE_1PSID or accounts:")
        accounts.start()
        if settings.gemini_web.browser_refresh.enabled:
            await stack.enter_async_context(browser_refresh(accounts, settings))
        yield Wiring(admission, chat, images, batches, status, account_service, responses)


async def _stopped(task: "asyncio.Task[None]") -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
