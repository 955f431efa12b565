"""What litellm costs per call around a provider that answers at once, in this process.

    python -m benchmarks.litellm_floor [--calls 300]

Prints CPU ms per call, plain and streamed (10 chunks), for:
- `Router.acompletion`: the path every request takes (choice of deployment, `acompletion` in
  its thread executor, the `Logging` object, cost and hidden params, usage tracking, and for
  streams `CustomStreamWrapper`);
- the Router's choice alone (`async_get_available_deployment`) followed by the provider's own
  `acompletion` / `astreaming`: what a call would cost if litellm only chose the deployment.
The difference is the floor that no change on our side of the Router can remove.
"""

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable

import litellm
from litellm import Router
from litellm.types.utils import ModelResponse

from .instant_provider import InstantLLM

MESSAGES = [{"role": "user", "content": "Hi."}]
_Call = Callable[[bool], Awaitable[None]]


def calls(router: Router, provider: InstantLLM) -> dict[str, _Call]:
    async def through_router(stream: bool) -> None:
        if stream:
            chunks = await router.acompletion(model="m", messages=MESSAGES, stream=True)
            async for _ in chunks:
                pass
        else:
            await router.acompletion(model="m", messages=MESSAGES)

    async def choice_then_provider(stream: bool) -> None:
        await router.async_get_available_deployment(model="m", messages=MESSAGES, request_kwargs={})
        if stream:
            async for _ in provider.astreaming(model="m"):
                pass
        else:
            await provider.acompletion(model="m", model_response=ModelResponse())

    return {"Router.acompletion": through_router, "choice + provider": choice_then_provider}


async def cpu_ms(call: _Call, stream: bool, count: int) -> float:
    for _ in range(count // 10):  # warm up
        await call(stream)
    started = time.process_time()
    for _ in range(count):
        await call(stream)
    await asyncio.sleep(0.05)  # litellm logs successes in tasks of their own
    return (time.process_time() - started) * 1000 / count


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    provider = InstantLLM()
    litellm.custom_provider_map = [{"provider": "instant", "custom_handler": provider}]
    litellm.suppress_debug_info = True
    router = Router(model_list=[{"model_name": "m", "litellm_params": {"model": "instant/m"}}])
    for name, call in calls(router, provider).items():
        plain = await cpu_ms(call, False, args.calls)
        streamed = await cpu_ms(call, True, args.calls)
        print(f"{name:20} CPU {plain:5.2f} ms plain, {streamed:5.2f} ms streamed (10 chunks)")


if __name__ == "__main__":
    asyncio.run(main())
