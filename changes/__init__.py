"""What a change will do before anyone runs it: BASE against HEAD, from plans, previews or state exports.

A consumer of plan/ and the lifecycle data: it never imports the engine, and nothing on its path imports Pulumi.
"""
