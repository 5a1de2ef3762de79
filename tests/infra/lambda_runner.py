"""Invoke a packaged Lambda handler with nothing importable but the unpacked zip, the
runtime's own libraries (boto3) and the standard library: run it with `python -I -S`.

    python -I -S lambda_runner.py TASK_DIR RUNTIME_DIR HANDLER EVENT_JSON RESULT_JSON

Writes to RESULT_JSON the handler's return value and the file of every module it loaded,
so the test can see exactly what the handler needed. Standard library only: the test's
virtualenv must not be reachable from here.
"""

import importlib
import json
import sys
from pathlib import Path

task_dir, runtime_dir, handler, event_path, result_path = sys.argv[1:6]
sys.path[:0] = [task_dir, runtime_dir]


class LambdaContext:
    """The attributes Powertools and the handlers read from the runtime's context."""

    function_name = "clickstream-packaged"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:clickstream-packaged"
    aws_request_id = "0f5e1c2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
    log_group_name = "/clickstream/test"
    log_stream_name = "packaged"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


module_name, function_name = handler.rsplit(".", 1)
function = getattr(importlib.import_module(module_name), function_name)
event = json.loads(Path(event_path).read_text(encoding="utf-8"))
response = function(event, LambdaContext())
modules = {
    name: module.__file__
    for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None)
}
result = {"response": response, "modules": modules, "stdlib": sys.base_prefix}
Path(result_path).write_text(json.dumps(result), encoding="utf-8")
