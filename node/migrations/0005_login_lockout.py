from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_web_moderation')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginFailure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='login_failures', on_delete=OnDelete.CASCADE)),
                ('address', fields.CharField(max_length=64)),
                ('failures', fields.IntField(default=0)),
                ('locked_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(db_index=True, auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'login_failures', 'app': 'models', 'unique_together': (('user', 'address'),), 'pk_attr': 'id', 'table_description': 'Wrong passwords given for one account from one client address (an IPv6 address counts by its'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='failures_since',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
