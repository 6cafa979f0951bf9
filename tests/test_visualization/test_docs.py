"""docs/en/user_guides/visualization.md shows only commands that the tests run."""

from tests.doc_commands import documented_commands

from .helpers import DOC, TOOLS, doc_commands

# Doc commands each tool's tests run, by index into doc_commands(tool).
RUN_BY_TESTS = {
    'visualize_erf.py': 2,  # test_erf.py: [0] --mhsa both, [1] --compare
    'visualize_features.py': 1,  # test_features.py
    'visualize_correspondence.py': 1,  # test_correspondence.py
    'analyze_logs.py': 1,  # test_analyze_logs.py
}
# The demo runs the doc starts from: tools/train.py on these configs is tested in
# tests/test_tools/ (test_train.py, test_pixpro_train.py).
TRAIN_COMMANDS = [
    (
        'tools/train.py',
        [
            'configs/pixpro/pixpro_resnet18_1xb16-lars-coslr-2e_demo.py',
            '--work-dir',
            'work_dirs/pixpro_demo',
        ],
    ),
    (
        'tools/train.py',
        [
            'configs/densecl/densecl_resnet18_1xb16-coslr-2e_demo.py',
            '--work-dir',
            'work_dirs/densecl_demo',
        ],
    ),
]


def test_every_command_of_the_doc_is_run_by_a_test():
    commands = documented_commands([DOC])
    tool_commands = [c for c in commands if c.script.startswith('tools/analysis_tools/')]
    assert [(c.script, c.args) for c in commands if c not in tool_commands] == TRAIN_COMMANDS
    assert {tool: len(doc_commands(tool)) for tool in TOOLS} == RUN_BY_TESTS
    assert len(tool_commands) == sum(RUN_BY_TESTS.values())
