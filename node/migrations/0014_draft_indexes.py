from tortoise import migrations
from tortoise.migrations import operations as ops

# The `draft` columns added by 0004 to posts, events and initiatives are declared with db_index=True, but
# their AddField made no index: a node created from the models has them. Both now have the same ones.
INDEXES = (
    ('idx_posts_draft_2a23e6', 'posts'),
    ('idx_events_draft_098104', 'events'),
    ('idx_initiatives_draft_e2445f', 'initiatives'),
)


async def draft_indexes(apps, schema_editor):
    for name, table in INDEXES:
        await schema_editor.client.execute_query(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("draft")')


class Migration(migrations.Migration):
    dependencies = [('models', '0013_assembly')]

    initial = False

    operations = [
        ops.RunPython(draft_indexes, ops.RunPython.noop),
    ]
