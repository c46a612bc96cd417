"""What users do, once for every platform: launch a job, pass the access gate, wait their turn
in a conversation, have their options checked; and what operators change while the bot runs
(the provider order). Adapters translate platform input into these
and their results back out; nothing here knows a platform."""
