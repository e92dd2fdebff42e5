"""DramMemory names an unknown controller option instead of raising a bare TypeError."""

import pytest

from archsim.core.clock import Clock
from archsim.core.errors import ConfigError
from archsim.memory.dram import DramMemory


def test_unknown_option_is_a_config_error():
    with pytest.raises(ConfigError,
                       match=r"^unknown DRAM memory field 'bogus'; allowed: cmd_queue, mapping, page_policy"):
        DramMemory("HBM2-2Gbps", core_clock=Clock(1000.0), bogus=1)
