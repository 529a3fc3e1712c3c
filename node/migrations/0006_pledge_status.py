from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0005_login_lockout')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='Pledge',
            options={'table': 'pledges', 'app': 'models', 'pk_attr': 'id', 'table_description': 'Someone offering help against a need; the organizers mark it fulfilled (the help came) or'},
        ),
        ops.AddField(
            model_name='Pledge',
            name='status',
            field=fields.CharField(default='pledged', max_length=16),
        ),
        ops.AddField(
            model_name='Pledge',
            name='status_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
