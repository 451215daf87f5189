"""Judge: what the policy and pip's tag logic expect, and the verdict on what happened."""
