from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0010_mailing')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Mailing',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('slug', fields.CharField(unique=True, max_length=64)),
                ('language', fields.CharField(default='en', max_length=35)),
                ('subject', fields.CharField(max_length=300)),
                ('body', fields.TextField(default='', unique=False)),
                ('subject_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('body_map', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('audience', fields.CharField(default='subscribers', max_length=16)),
                ('target_id', fields.BigIntField(null=True)),
                ('status', fields.CharField(default='draft', db_index=True, max_length=16)),
                ('scheduled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('generation', fields.IntField(default=0)),
                ('also_post', fields.BooleanField(default=False)),
                ('post_id', fields.BigIntField(null=True)),
                ('author', fields.ForeignKeyField('models.User', source_field='author_id', null=True, db_constraint=True, to_field='id', related_name='mailings', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
                ('started_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('recipients_count', fields.IntField(default=0)),
                ('sent_count', fields.IntField(default=0)),
                ('failed_count', fields.IntField(default=0)),
                ('skipped_count', fields.IntField(default=0)),
            ],
            options={'table': 'mailings', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A newsletter an editor writes (Markdown, in its language and translations) and sends to an'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MailingRecipient',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('mailing', fields.ForeignKeyField('models.Mailing', source_field='mailing_id', db_constraint=True, to_field='id', related_name='recipients', on_delete=OnDelete.CASCADE)),
                ('email', fields.CharField(max_length=320)),
                ('subscriber', fields.ForeignKeyField('models.Subscriber', source_field='subscriber_id', null=True, db_constraint=True, to_field='id', related_name='mailings_received', on_delete=OnDelete.SET_NULL)),
                ('user_id', fields.BigIntField(null=True)),
                ('language', fields.CharField(default='en', max_length=35)),
                ('status', fields.CharField(default='queued', max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('last_error', fields.TextField(default='', unique=False)),
                ('claim', fields.CharField(null=True, max_length=64)),
                ('next_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'mailing_recipients', 'app': 'models', 'unique_together': (('mailing', 'email'),), 'indexes': [Index(fields=['mailing_id', 'status'])], 'pk_attr': 'id', 'table_description': 'One address a mailing goes to, snapshotted when the sending starts: queued, sending (claimed by'},
            bases=['Model'],
        ),
    ]
