from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0014_draft_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Vote',
            name='eligible',
            field=fields.IntField(null=True),
        ),
    ]
