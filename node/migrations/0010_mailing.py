from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_opportunities')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Subscriber',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=320)),
                ('token', fields.CharField(unique=True, max_length=64)),
                ('status', fields.CharField(default='pending', db_index=True, max_length=16)),
                ('language', fields.CharField(default='en', max_length=16)),
                ('kinds', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('categories', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('frequency', fields.CharField(default='weekly', max_length=8)),
                ('notify_kinds', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='subscriptions_by_email', on_delete=OnDelete.SET_NULL)),
                ('source', fields.CharField(default='web', max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('confirm_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('confirmed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('unsubscribed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_digest_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mail_subscribers', 'app': 'models', 'pk_attr': 'id', 'table_description': "An address on the mailing list: a visitor's (double opt-in, `pending` until the link in the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Suppression',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=320)),
                ('bounces', fields.IntField(default=0)),
                ('blocked', fields.BooleanField(default=False, db_index=True)),
                ('reason', fields.CharField(default='bounce', max_length=16)),
                ('detail', fields.TextField(default='', unique=False)),
                ('last_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'mail_suppressions', 'app': 'models', 'pk_attr': 'id', 'table_description': 'An address no message is sent to, or that is on its way there: hard bounces counted up to the'},
            bases=['Model'],
        ),
    ]
