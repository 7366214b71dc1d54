"""The messages added for the kernel's features travel as plain dicts and come back equal."""

from __future__ import annotations

import pytest

from freshrepl import protocol


@pytest.mark.parametrize("message", [
    protocol.SignatureRequest("print(1, "),
    protocol.SignatureReply("print", ["print(*args, sep=' ')"], 1, "sep"),
    protocol.SignatureReply(),
    protocol.DocRequest("os.path.join"),
    protocol.DocReply(True, "join(a, *p)\n\nJoin two or more pathname components."),
])
def test_round_trip(message):
    wire = protocol.encode(message, 7)
    assert type(wire) is dict and protocol.message_id(wire) == 7
    assert protocol.decode(wire) == message


def test_kernel_config_carries_colour():
    config = protocol.KernelConfig(color=True, color_style="monokai")
    environ = {protocol.KERNEL_CONFIG_ENV: config.to_env()}
    assert protocol.KernelConfig.from_env(environ) == config
    assert protocol.KernelConfig.from_env({}).color is False
