"""Ansible callback: the slowest tasks of a run, printed at the end (infra test logs)."""
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_timer
type: aggregate
short_description: prints the slowest tasks of the run
description: Times every task and lists the 15 slowest after the play recap.
requirements: [enable in callbacks_enabled]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._times = {}
        self._current = None

    def _start(self, name):
        self._stop()
        self._current = (name, time.monotonic())

    def _stop(self):
        if self._current:
            name, started = self._current
            self._times[name] = self._times.get(name, 0.0) + time.monotonic() - started
            self._current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task.get_name())

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task.get_name())

    def v2_playbook_on_stats(self, stats):
        self._stop()
        slowest = sorted(self._times.items(), key=lambda kv: kv[1], reverse=True)[:15]
        self._display.display(f"SLOWEST TASKS: total {sum(self._times.values()):.1f}s")
        for name, secs in slowest:
            self._display.display(f"{secs:7.1f}s  {name}")
