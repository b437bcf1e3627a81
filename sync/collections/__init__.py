"""Collections in the shell: the policy file, the store's collections tables, reminders and the job."""
